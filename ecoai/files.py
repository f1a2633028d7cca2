"""The files a user names, in and out: reading scenarios, reports and gate files, writing reports.

Every failure is one clear error naming the file and the fix.

Reading (``read_user_text``): only regular files (and pipes the user named, such as
``<(ecoai estimate --json)``), at most ``MAX_INPUT_BYTES``; a FIFO, ``/dev/zero`` or a directory
is refused at once instead of hanging or filling memory.

Writing (``write_text``): a regular file is written to a temporary file beside it and published
whole, so it is never half-written. Without ``overwrite`` the publication is no-clobber
(``os.link`` of the temporary file, which fails on an existing name): a file that appeared while
the command ran is kept and the report is saved under the next free name (``report.1.json``),
said on stderr. A FIFO or a character device (``/dev/null``) is written in place, like a shell
redirection, never replaced; ``/dev/stdout``, ``/dev/stderr`` and ``/dev/fd/N`` write to that
descriptor. A symlink is followed: its target is written, the link stays. New files get the
mode 0666 less the umask, as a shell redirection would.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from ecoai.errors import InputError, ReportWriteError, one_line

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""The largest scenario, profile, gates or report file ecoai reads (64 MiB)."""
FIFO_READER_WAIT_S = 5.0
"""How long a report for a FIFO waits for a reader before it is given up (not saved)."""
_FD_ALIAS = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_STD_ALIAS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def read_user_text(
    path: Path, what: str, *, allow_pipe: bool = True, max_bytes: int = MAX_INPUT_BYTES
) -> str:
    """The UTF-8 text of ``path``; every failure is one InputError naming the file and the fix.

    ``what`` names the expected file in the hint, e.g. "a scenario .toml file". Only a regular
    file is read, or a pipe when ``allow_pipe`` (a file the user named, e.g. ``<(...)``); a FIFO
    is opened without blocking, so one with no writer reads as empty instead of hanging. Raises
    InputError for a directory, a device, a socket, a file over ``max_bytes``, a name too long,
    or text that is not UTF-8.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", f"check the path of {what}") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied", "make the file readable") from None
    except OSError as error:
        raise _bad_name(path, error, f"give {what}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path} is a directory", f"give {what}")
        is_pipe = stat.S_ISFIFO(info.st_mode)
        if not (stat.S_ISREG(info.st_mode) or (allow_pipe and is_pipe)):
            raise InputError(
                f"{path} is not a regular file ({_kind(info.st_mode)})", f"give {what}"
            )
        if info.st_size > max_bytes:
            raise InputError(
                f"{path}: {info.st_size} bytes, more than ecoai reads ({max_bytes} bytes)",
                f"give {what}",
            )
        if is_pipe:
            os.set_blocking(fd, True)  # a writer is there (or none: then the read ends at once)
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}", "check the path") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise InputError(f"{path}: more than ecoai reads ({max_bytes} bytes)", f"give {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", f"give {what} saved as UTF-8") from None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _bad_name(path: Path | str, error: OSError, hint: str) -> InputError:
    """One line for an OSError raised by a path itself (too long, a loop, not a directory)."""
    if error.errno == errno.ENAMETOOLONG:
        return InputError(f"{_short(path)}: file name too long", "use names under 255 bytes")
    return InputError(f"{_short(path)}: {error.strerror or error}", hint)


def _short(path: Path | str) -> str:
    text = str(path)
    return text if len(text) <= 120 else text[:60] + "..." + text[-40:]


# --- writing -------------------------------------------------------------------------------------


def _fd_alias(output: str) -> int | None:
    """The descriptor that /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N names."""
    if output in _STD_ALIAS:
        return _STD_ALIAS[output]
    match = _FD_ALIAS.match(output)
    return int(match.group(1)) if match else None


def _target_stat(output: str) -> os.stat_result | None:
    """``os.stat`` of the target (links followed); None if nothing is there. One-line errors."""
    if any(len(os.fsencode(part)) > 255 for part in output.split(os.sep)):
        raise InputError(f"{_short(output)}: file name too long", "use names under 255 bytes")
    try:
        return os.stat(output)
    except FileNotFoundError:
        if os.path.islink(output):
            raise ReportWriteError(
                f"{_short(output)} is a symbolic link to a missing file",
                "remove the link or write elsewhere",
            ) from None
        return None
    except NotADirectoryError:
        raise InputError(
            f"{_short(output)}: a parent is not a directory", "check the path"
        ) from None
    except OSError as error:
        raise _bad_name(output, error, "check the path given to -o/--output") from None


def check_writable(output: str, force: bool) -> None:
    """Fail before any work if ``output`` cannot take a report.

    Refused: a directory, a block device or a socket, a missing parent directory, a name too
    long, and an existing regular file unless ``force``. A FIFO or character device (written in
    place) and ``/dev/stdout``-style names are accepted without ``force``: nothing is replaced.
    """
    if output == "-" or _fd_alias(output) is not None:
        return
    info = _target_stat(output)
    if info is not None:
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{_short(output)} is a directory", "give a file path to -o/--output")
        if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
            raise InputError(
                f"{_short(output)} is {_kind(mode)}, not a report file", "choose another path"
            )
        if stat.S_ISREG(mode) and not force:
            raise ReportWriteError(
                f"{_short(output)} already exists",
                "pass --force to overwrite it, or choose another path",
            )
        return
    if not os.path.isdir(os.path.dirname(os.path.realpath(output))):
        parent = os.path.dirname(output) or "."
        raise ReportWriteError(f"directory {_short(parent)} does not exist", "create it first")


def check_distinct(outputs: dict[str, str | None]) -> None:
    """Refuse two outputs of one invocation that are the same file: ``{"-o": path, ...}``.

    Paths are compared after resolving links and ``..``, and by device and inode when they
    exist. Unset outputs, stdout (``-``, ``/dev/stdout``, ``/dev/fd/N``) and character devices
    (``/dev/null`` takes any number of outputs) are skipped.
    """
    seen: dict[object, str] = {}
    for flag, output in outputs.items():
        if output is None or output == "-" or _fd_alias(output) is not None:
            continue
        keys: list[object] = [os.path.realpath(output)]
        try:
            info = os.stat(output)
        except OSError:
            pass
        else:
            if stat.S_ISCHR(info.st_mode):
                continue
            keys.append((info.st_dev, info.st_ino))
        for key in keys:
            if key in seen:
                raise InputError(
                    f"{seen[key]} and {flag} name the same file {_short(output)}",
                    "give each output its own path",
                )
        for key in keys:
            seen[key] = flag


def check_not_an_input(flag: str, output: str | None, inputs: Iterable[str | None]) -> None:
    """Refuse an output that is one of the invocation's input files (``compare a.json b.json
    -o a.json --force`` would replace a report it reads with the comparison): compared by device
    and inode, so links and other spellings of the path are caught. An output that does not exist
    yet cannot be an input; stdout, character devices and inputs that are not files are skipped.
    Raises InputError."""
    if output is None or output == "-" or _fd_alias(output) is not None:
        return
    try:
        out = os.stat(output)
    except OSError:
        return
    if stat.S_ISCHR(out.st_mode):
        return
    for given in inputs:
        if given is None or given == "-":
            continue
        try:
            info = os.stat(given)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == (out.st_dev, out.st_ino):
            raise InputError(
                f"{flag} {_short(output)} is also an input ({_short(given)}): writing it would "
                "replace what this run reads",
                f"write to another file, e.g. {flag} out.json",
            )


def write_text(output: str, text: str, *, overwrite: bool = True) -> str:
    """Write ``text`` to ``output`` ('-' is stdout); return the path actually written.

    A regular file is published whole (temp file beside it, then rename), never half-written: an
    existing file is replaced whole or left untouched. With ``overwrite`` False the publication
    is no-clobber: if ``output`` exists by then (another run, the command itself), the report is
    saved under the next free name and stderr says where. A FIFO or a character device is
    written in place, never replaced. Raises ReportWriteError (disk full, read-only, a FIFO
    nobody reads, stdout closed or full).
    """
    if not text.endswith("\n"):
        text += "\n"
    if output == "-":
        _write_stream(sys.stdout, text, "standard output")
        return output
    alias = _fd_alias(output)
    if alias is not None:
        _write_descriptor(alias, text, output)
        return output
    info = _target_stat(output)
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
            _write_in_place(output, text)
            return output
        raise ReportWriteError(f"{_short(output)} is {_kind(info.st_mode)}, not a report file")
    target = os.path.realpath(output) if os.path.islink(output) else output
    return _publish(output, target, text, overwrite, None if info is None else info.st_mode)


def open_stream(output: str) -> TextIO:
    """Open ``output`` for a file written as it goes (``--timeline``): a regular file is
    created or truncated (``check_writable`` has applied --force), a FIFO or device is opened
    in place without waiting for a reader. Raises ReportWriteError."""
    flags = os.O_WRONLY | os.O_CLOEXEC | os.O_NOCTTY
    info = _target_stat(output)
    if info is None or stat.S_ISREG(info.st_mode):
        flags |= os.O_CREAT | os.O_TRUNC
    else:
        flags |= os.O_NONBLOCK
    try:
        fd = os.open(output, flags, 0o666)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise ReportWriteError(
                f"cannot write {output}: no process reads it", "start the reader first"
            ) from None
        raise ReportWriteError(f"cannot write {output}: {error.strerror}", _hint(error)) from None
    os.set_blocking(fd, True)
    return open(fd, "w", encoding="utf-8", newline="")


def _publish(output: str, target: str, text: str, overwrite: bool, old_mode: int | None) -> str:
    directory = os.path.dirname(target) or "."
    name = os.path.basename(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name[:200]}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise ReportWriteError(f"cannot write {output}: {error.strerror}", _hint(error)) from None
    try:
        os.fchmod(fd, (old_mode & 0o777) if old_mode is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, target)
            return output
        written = _link_no_clobber(tmp, target)
    except OSError as error:
        raise ReportWriteError(f"cannot write {output}: {error.strerror}", _hint(error)) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    if written != target:
        _tell(
            f"ecoai: {output} appeared while ecoai ran and was kept; "
            f"the report was saved as {written}"
        )
    return written


def _link_no_clobber(tmp: str, target: str) -> str:
    """Give ``tmp`` the name ``target`` (or ``target``'s next free variant) without replacing
    anything; return the name used. The caller removes ``tmp``."""
    stem, suffix = os.path.splitext(target)
    for index in range(1000):
        name = target if index == 0 else f"{stem}.{index}{suffix}"
        try:
            os.link(tmp, name)
            return name
        except FileExistsError:
            continue
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
                raise
            if _copy_exclusive(tmp, name):  # a file system without hard links
                return name
    raise OSError(errno.EEXIST, f"{target} and 999 numbered variants exist")


def _copy_exclusive(tmp: str, name: str) -> bool:
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except FileExistsError:
        return False
    try:
        with open(tmp, "rb") as source, os.fdopen(fd, "wb") as handle:
            handle.write(source.read())
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        Path(name).unlink(missing_ok=True)
        raise
    return True


def _write_in_place(output: str, text: str) -> None:
    """Write into a FIFO or a device like ``> output`` would; a FIFO waits for its reader at
    most ``FIFO_READER_WAIT_S``."""
    deadline = time.monotonic() + FIFO_READER_WAIT_S
    while True:
        try:
            fd = os.open(output, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
            break
        except OSError as error:
            if error.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.05)  # a FIFO with no reader yet
                continue
            if error.errno == errno.ENXIO:
                raise ReportWriteError(
                    f"cannot write {output}: no process reads it",
                    "start the reader first, or write to a file with -o",
                ) from None
            raise ReportWriteError(
                f"cannot write {output}: {error.strerror}", _hint(error)
            ) from None
    try:
        os.set_blocking(fd, True)
        _write_all(fd, text.encode("utf-8", "surrogateescape"))
    except OSError as error:
        raise ReportWriteError(f"cannot write {output}: {error.strerror}", _hint(error)) from None
    finally:
        os.close(fd)


def _write_descriptor(fd: int, text: str, output: str) -> None:
    if fd in (1, 2):
        stream = sys.stdout if fd == 1 else sys.stderr
        _write_stream(stream, text, "standard output" if fd == 1 else "standard error")
        return
    try:
        _write_all(fd, text.encode("utf-8", "surrogateescape"))
    except OSError as error:
        raise ReportWriteError(f"cannot write {output}: {error.strerror}", _hint(error)) from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_stream(stream: TextIO | None, text: str, name: str) -> None:
    """Write to stdout or stderr as bytes: in the stream's encoding when it can hold the text,
    else UTF-8 (a report is UTF-8 text; an ASCII locale must not lose it). On failure the
    stream's descriptor is pointed at /dev/null, so the exit does not fail a second time."""
    if stream is None:
        raise ReportWriteError(f"cannot write to {name}: it is closed", "write to a file with -o")
    try:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            stream.write(text)
            stream.flush()
            return
        try:
            data = text.encode(stream.encoding or "utf-8")
        except (UnicodeEncodeError, LookupError):
            data = text.encode("utf-8", "surrogateescape")
        buffer.write(data)
        buffer.flush()
    except (OSError, ValueError) as error:
        _discard(stream)
        reason = error.strerror if isinstance(error, OSError) else "it is closed"
        hint = "write the report to a file with -o"
        if isinstance(error, OSError) and error.errno == errno.EPIPE:
            hint = "the reader of the output went away; " + hint
        raise ReportWriteError(f"cannot write to {name}: {reason}", hint) from None


def _discard(stream: TextIO) -> None:
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _tell(message: str) -> None:
    """One line on stderr, if there is one."""
    if sys.stderr is None:
        return
    try:
        sys.stderr.write(one_line(message) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _hint(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full; free some space or write elsewhere with -o"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the directory is not writable; choose another path with -o"
    return "check the path given to -o/--output"
