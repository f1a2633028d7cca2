"""A fixed amount of CPU work (not a fixed time), for overhead benchmarks.

Usage: python fixed_work.py ROUNDS   Each round sums 10,000 squares; prints a checksum.
"""

import sys

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
total = 0
for _ in range(rounds):
    total += sum(i * i for i in range(10_000))
print(f"checksum {total % 1_000_003}")
