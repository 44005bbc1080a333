"""Summarise py-spy collapsed stacks (bench/api.py --profile DIR) into hot spots.

    .venv/bin/python bench/hotspots.py DIR/sqlite-1-templates-list.txt [--top 25] [--match dockyard]

Prints, as % of all samples: the functions with the most *self* time (leaf frames), and the
functions with the most *inclusive* time (anywhere on the stack; each counted once per sample).
`--match` restricts the inclusive list to frames whose text contains that string.
"""

from __future__ import annotations

import argparse
import re
import signal
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m['func']} ({path})"


def main() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="")
    args = parser.parse_args()
    for path in args.files:
        self_time: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        total = 0
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack:
                continue
            count = int(count_text)
            frames = [short(f) for f in stack.split(";")]
            # Skip py-spy's process/thread pseudo-frames.
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
            if not frames:
                continue
            total += count
            self_time[frames[-1]] += count
            for f in set(frames):
                inclusive[f] += count
        print(f"== {path.name}: {total} samples")
        print("-- self time")
        for frame, n in self_time.most_common(args.top):
            print(f"{100 * n / total:6.1f}%  {frame}")
        print(f"-- inclusive time{' (' + args.match + ')' if args.match else ''}")
        shown = 0
        for frame, n in inclusive.most_common():
            if args.match and args.match not in frame:
                continue
            print(f"{100 * n / total:6.1f}%  {frame}")
            shown += 1
            if shown >= args.top:
                break


if __name__ == "__main__":
    main()
