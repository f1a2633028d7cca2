"""Count the SIGINTs delivered (each delivery writes a byte to the wakeup fd, so two close
together are not merged by Python's handler); after the first, wait 1 s, write the count.

Usage: python count_sigint.py MARKER RESULT   (MARKER is written once ready)
"""

import os
import signal
import sys
import time
from pathlib import Path

read_fd, write_fd = os.pipe()
os.set_blocking(read_fd, False)
os.set_blocking(write_fd, False)
signal.signal(signal.SIGINT, lambda signum, frame: None)
signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)


def delivered() -> int:
    try:
        return len(os.read(read_fd, 1024))
    except BlockingIOError:
        return 0


Path(sys.argv[1]).write_text("started")
count, deadline = 0, time.monotonic() + 60
while count == 0 and time.monotonic() < deadline:
    time.sleep(0.01)
    count += delivered()
time.sleep(1.0)
count += delivered()
Path(sys.argv[2]).write_text(str(count))
sys.exit(130 if count else 1)
