"""Write a marker file once running, then sleep until a signal ends it (signal tests).

Usage: python wait_for_signal.py MARKER [ignore-term]
"""

import signal
import sys
import time
from pathlib import Path

if len(sys.argv) > 2 and sys.argv[2] == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
Path(sys.argv[1]).write_text("started")
time.sleep(60)
