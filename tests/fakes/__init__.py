"""Test doubles for hardware: a fake NVML module, a fake powercap tree, a fake clock."""
