"""SVG layouts from one long-running Graphviz ``dot``: an explorer redraws on every click.

Starting ``dot`` costs 50-70 ms (more on a busy machine); laying out a teaching graph takes a few.
So the kernel keeps one ``dot -Tsvg`` and writes each graph to it; dot answers each with its SVG.
An explorer revisits its combinations: the last layouts are kept too. Anything unexpected (no dot,
an error, a stuck dot, Windows, whose pipes select() cannot wait on) gives None, and the caller
runs dot once for that graph, as before, which reports what went wrong.
"""
from __future__ import annotations

import atexit
import os
import re
import select
import subprocess
import threading

TIMEOUT = 10     # seconds dot may stay silent before it is given up
KEEP = 128       # layouts kept: DOT text -> SVG
_lock = threading.Lock()
_dot: subprocess.Popen | None = None
_kept: dict[str, str] = {}
_streams = True  # False once a dot has answered nothing before the end of its input


def svg(source: str) -> str | None:
    """The SVG of a DOT text, or None when the long-running dot cannot give it."""
    global _streams
    if os.name != "posix" or not _streams:
        return None
    with _lock:
        if source not in _kept:
            try:
                _kept[source] = _ask(source)
            except TimeoutError:  # a dot that reads all its input first (a wrapper): one run per graph
                _streams = False
                stop()
                return None
            except (OSError, ValueError, UnicodeDecodeError):
                stop()
                return None
            if len(_kept) > KEEP:
                del _kept[next(iter(_kept))]
        return _kept[source]


def _ask(source: str) -> str:
    global _dot
    if _dot is None or _dot.poll() is not None:
        _dot = subprocess.Popen(["dot", "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    _dot.stdin.write(source.encode() + b"\n")
    _dot.stdin.flush()
    out, fd = bytearray(), _dot.stdout.fileno()
    while not out.rstrip().endswith(b"</svg>"):
        if not select.select([fd], [], [], TIMEOUT)[0]:
            raise TimeoutError("dot gave no SVG")
        chunk = os.read(fd, 1 << 16)
        if not chunk:  # dot exited: an error in the graph
            raise OSError("dot stopped")
        out += chunk
    # The same SVG as one run of dot gives: not numbered as the n-th graph of the stream.
    text = re.sub(r'id="page\d+,\d+_graph0"', 'id="graph0"', out.decode(), count=1)
    return re.sub(r"(<!-- Title: |<title>)%\d+", r"\g<1>%3", text, count=2)


@atexit.register
def stop() -> None:
    global _dot
    if _dot is not None:
        _dot.kill()
        _dot.wait()
        _dot = None
