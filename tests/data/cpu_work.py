"""A CPU-bound workload for `ecoai profile` tests: busy for SECONDS, then prints a checksum.

Usage: python cpu_work.py [--cpu] SECONDS [EXIT_CODE]

SECONDS of wall time; with --cpu, SECONDS of this process's CPU time (the same work however
loaded the machine is, for tests that assert the CPU time measured).
"""

import sys
import time

args = sys.argv[1:]
clock = time.perf_counter
if args[:1] == ["--cpu"]:
    clock = time.process_time
    args = args[1:]
seconds = float(args[0]) if args else 1.0
deadline = clock() + seconds
total = 0
while clock() < deadline:
    total += sum(i * i for i in range(10_000))
print(f"checksum {total % 1_000_003}")
sys.exit(int(args[1]) if len(args) > 1 else 0)
