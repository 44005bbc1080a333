"""Running the host tools (ip, iptables, ...) with errors that name the command."""

from __future__ import annotations

import os
import shutil
import subprocess

# Where Debian puts ip, iptables and dockerd; a service's PATH may lack the sbin dirs.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class CommandError(RuntimeError):
    """A host command failed; the message has the command line and its stderr."""

    def __init__(self, argv: list[str], returncode: int, stderr: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"`{' '.join(argv)}` failed (exit {returncode}): {self.stderr}")


def which(name: str) -> str | None:
    """`name` if it is an executable path, else its location on PATH or the system dirs."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) else None
    path = os.environ.get("PATH", "") + os.pathsep + SYSTEM_PATH
    return shutil.which(name, path=path)


def run(argv: list[str], *, check: bool = True, timeout: float = 60) -> str:
    """Run `argv` (no shell) and return its stdout; raise CommandError on failure."""
    exe = which(argv[0]) or argv[0]
    proc = subprocess.run(
        [exe, *argv[1:]],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check and proc.returncode != 0:
        raise CommandError(argv, proc.returncode, proc.stderr)
    return proc.stdout


def succeeds(argv: list[str], timeout: float = 30) -> bool:
    """Whether `argv` exits 0 (its output is discarded)."""
    exe = which(argv[0])
    if exe is None:
        return False
    proc = subprocess.run(
        [exe, *argv[1:]],
        capture_output=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return proc.returncode == 0


def unmount_below(directory: str) -> None:
    """Lazily unmount anything this mount namespace has under `directory` (normally none:
    node mounts live in the node's own mount namespace and go with it)."""
    prefix = os.path.realpath(directory) + os.sep
    targets = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            target = line.split()[4].replace("\\040", " ")
            if (target + os.sep).startswith(prefix):
                targets.append(target)
    for target in sorted(targets, key=len, reverse=True):
        run(["umount", "-l", target], check=False)
