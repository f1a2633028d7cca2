"""The live line: its text, and a real run in a pseudo-terminal (drawn, apart, cleared)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from conftest import cli_env

from ecoai.watch.live import live_text

FLAGS = ["--pue", "1.2", "--wue-site", "0.5", "--wue-source", "3", "--cif", "0.4"]
CHILD = (
    "import time\nfrom ecoai import track\n"
    "for i in range(6):\n"
    "    print(f'line {i}', flush=True)\n    track.query(output_tokens=10)\n    time.sleep(0.25)\n"
)


def test_live_text() -> None:
    text = live_text(12.34, {"gpu": 210.4, "cpu": 35.0, "dram": 4.2}, 2710.0, 40)
    assert text == "ecoai 12.3 s | gpu 210 W cpu 35 W dram 4 W | 2.71 kJ | 40 queries"
    assert live_text(1.0, {}, 12.0, None) == "ecoai 1.0 s | no power | 12.0 J"
    assert len(live_text(1.0, {"gpu": 1.0}, 1.0, 1, width=20)) == 20


def run_in_pty(tmp_path: Path, *args: str) -> str:
    script = tmp_path / "sensors.json"
    script.write_text(
        json.dumps(
            {
                "sensors": [
                    {"name": "g", "component": "gpu", "power_w": 250.0},
                    {"name": "c", "component": "cpu", "power_w": 40.0},
                ]
            }
        )
    )
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = cli_env(ECOAI_FAKE_SENSORS=str(script), TERM="xterm")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ecoai",
            "profile",
            *FLAGS,
            *args,
            "--",
            sys.executable,
            "-c",
            CHILD,
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=tmp_path,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert child.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_live_line_in_a_real_terminal(tmp_path: Path) -> None:
    screen = run_in_pty(tmp_path)
    assert "\x1b[1;23r" in screen  # the bottom row is reserved ...
    live = [part for part in screen.split("\x1b[24;1H\x1b[2K")[1:] if part.startswith("ecoai ")]
    assert live, screen  # ... and the live line drawn there
    assert "gpu 250 W cpu 40 W" in live[-1] and " queries" in live[-1]
    assert all(f"line {i}\r\n" in screen for i in range(6))  # the command's output is intact
    end = screen.rindex("\x1b[r")  # the region is reset and the line cleared before the summary
    assert screen.rindex("\x1b[24;1H\x1b[2K") < end < screen.index("per unit (6 queries")


def test_no_live_line_with_quiet_or_without_a_terminal(tmp_path: Path) -> None:
    assert "\x1b[" not in run_in_pty(tmp_path, "-q")
    script = tmp_path / "s.json"
    script.write_text(json.dumps({"sensors": [{"name": "g", "component": "gpu", "power_w": 1}]}))
    done = subprocess.run(
        [sys.executable, "-m", "ecoai", "profile", *FLAGS, "--", sys.executable, "-c", "pass"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=cli_env(ECOAI_FAKE_SENSORS=str(script)),
    )
    assert done.returncode == 0 and "\x1b[" not in done.stderr and "ecoai measured" in done.stderr
