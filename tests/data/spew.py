"""Write N megabytes of deterministic binary data to stdout (pass-through tests)."""

import random
import sys

megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 5
data = random.Random(1234).randbytes(megabytes * 1_000_000)
sys.stdout.buffer.write(data)
sys.stdout.buffer.flush()
