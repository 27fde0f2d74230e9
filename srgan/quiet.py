"""Silencing what Paddle's C++ code prints straight to the process's stdout or stderr.

Paddle logs through glog and plain C++ streams, below Python's sys.stdout/sys.stderr, so
neither `contextlib.redirect_stdout` nor a logging level reaches it. The command line sets
GLOG_minloglevel before Paddle is imported; the Python API cannot (Paddle may be imported
already, and the level is the user's), so the few calls that print a line nobody can act on
("New Executor is Running." from paddle.jit.save, oneDNN's kernel choice on a first run) are
wrapped in `quiet_c_output` instead.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def quiet_c_output(fd: int = 1):
    """Send file descriptor `fd` (1: what C++ code prints to; 2: its stderr) to /dev/null for the block.

    Python exceptions raised inside pass through unchanged; only raw writes to the descriptor are lost.
    """
    try:
        (sys.stdout if fd == 1 else sys.stderr).flush()
        saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):  # no usable fd (embedded interpreters): print as it comes
        yield
        return
    os.dup2(devnull, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
