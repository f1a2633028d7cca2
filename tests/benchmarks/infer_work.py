"""A fixed CPU inference for the overhead benchmark: an MLP's forward passes on every core.

Run: python tests/benchmarks/infer_work.py BATCHES   (prints the compute seconds, nothing else)
The time printed is the inference loop's own (torch's import and set-up excluded), so a
profiler's start-up does not count: only what it takes from the work while the work runs.
"""

from __future__ import annotations

import os
import sys
import time


def main(batches: int) -> None:
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    model = torch.nn.Sequential(
        torch.nn.Linear(512, 2048), torch.nn.ReLU(), torch.nn.Linear(2048, 512)
    ).eval()
    inputs = torch.randn(64, 512)
    with torch.inference_mode():
        model(inputs)  # warm-up: allocations and kernels chosen before the clock starts
        start = time.perf_counter()
        for _ in range(batches):
            model(inputs)
        elapsed_s = time.perf_counter() - start
    print(f"{elapsed_s:.6f}")


if __name__ == "__main__":
    main(int(sys.argv[1]))
