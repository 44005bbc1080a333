"""Processes Dockyard starts and keeps: launched in a session of their own, known by their
identity (a PID plus its start time, so a reused PID is never signalled)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProcessRef:
    """A process we started: its PID and its start time (clock ticks after boot)."""

    pid: int
    start_time: int


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of `pid`, or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            raw = handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def identify(pid: int) -> ProcessRef | None:
    """The identity of the running process `pid`, or None."""
    stat = _stat(pid)
    return None if stat is None else ProcessRef(pid, stat[1])


def spawn(
    argv: list[str], log_file: str, env: Mapping[str, str], cwd: str, pass_fds: Sequence[int] = ()
) -> ProcessRef | None:
    """Start `argv` in a session of its own (it outlives this process), with stdout and stderr
    appended to `log_file`; its identity, or None when it already exited."""
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=dict(env),
            pass_fds=tuple(pass_fds),
            start_new_session=True,
            cwd=cwd,
        )
    return identify(proc.pid)


def log_tail(log_file: str, size: int = 800) -> str:
    """The end of a spawned process's log file, for error messages."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - size))
            return handle.read().decode("utf-8", "replace").strip()
    except FileNotFoundError:
        return "(no log)"


def _reap(pid: int) -> None:
    # A dead child of this process stays a zombie (and "alive" to kill(0)) until waited for.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def alive(ref: ProcessRef) -> bool:
    """Whether the process `ref` names still runs (zombies count as dead)."""
    stat = _stat(ref.pid)
    if stat is None or stat[1] != ref.start_time:
        return False
    if stat[0] in ("Z", "X"):
        _reap(ref.pid)
        return False
    return True


def signal_process(ref: ProcessRef, signum: int) -> bool:
    """Send `signum` to `ref` if it is still that process; whether it was sent."""
    if not alive(ref):
        return False
    try:
        os.kill(ref.pid, signum)
    except ProcessLookupError:
        return False
    return True


def wait_gone(refs: list[ProcessRef], timeout: float) -> list[ProcessRef]:
    """Wait until every process in `refs` ended; returns those still running at `timeout`."""
    deadline = time.monotonic() + timeout
    left = [r for r in refs if alive(r)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [r for r in left if alive(r)]
    return left


def terminate(refs: list[ProcessRef], timeout: float) -> None:
    """SIGTERM `refs`, then SIGKILL whichever still runs after `timeout` seconds."""
    for ref in refs:
        signal_process(ref, signal.SIGTERM)
    for ref in wait_gone(refs, timeout):
        signal_process(ref, signal.SIGKILL)
    wait_gone(refs, 5.0)


def pss_kib(pid: int) -> int:
    """Proportional set size of `pid` in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0
