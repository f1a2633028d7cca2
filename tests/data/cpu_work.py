"""A CPU-bound workload for `ecoai profile` tests: busy for SECONDS, then prints a checksum.

Usage: python cpu_work.py SECONDS [EXIT_CODE]
"""

import sys
import time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
deadline = time.perf_counter() + seconds
total = 0
while time.perf_counter() < deadline:
    total += sum(i * i for i in range(10_000))
print(f"checksum {total % 1_000_003}")
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
