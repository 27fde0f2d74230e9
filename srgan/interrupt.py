"""SIGTERM for long commands: `kill`, a job scheduler or a container stop ends them like Ctrl-C.

One rule for every command: SIGTERM raises KeyboardInterrupt, so the command unwinds through
the same cleanup as Ctrl-C (temporary files removed, the run folder's lock released) and the
CLI exits with 130 (cli.EXIT_INTERRUPTED), also when the command stopped cleanly with a
checkpoint: the work is not done, so `srgan train ... && srgan release ...` stops there. A command that can stop at a clean point asks for the first SIGTERM as a
request instead (`graceful=True`): `stop.requested` becomes True and the command stops at its
next clean point (the trainer: after the current step, with a checkpoint); a second SIGTERM
raises KeyboardInterrupt, for a step that never ends (a hung data loader or device).

    with StopOnSigterm(graceful=True) as stop:
        for batch in loader:
            ...
            if stop.requested:
                break

This module imports no Paddle. Enter the context after Paddle is imported: Paddle installs
its own SIGTERM handler, which would otherwise replace this one.
"""

from __future__ import annotations

import signal
import threading


class StopOnSigterm:
    """Context manager: while inside, SIGTERM interrupts like Ctrl-C (see the module docstring).

    Args:
        graceful: the first SIGTERM only sets `requested`; the next one raises KeyboardInterrupt.
            False: every SIGTERM raises KeyboardInterrupt at once.

    `requested` can also be set by the caller (`request()`), so one flag carries every reason
    to stop at the next clean point (the trainer's time limit, a stop on another rank). Python
    runs signal handlers only in the main thread, so elsewhere (a notebook's worker thread,
    a test runner's thread) the handler is not installed and SIGTERM keeps its old meaning.
    """

    def __init__(self, *, graceful: bool = False):
        self.graceful = graceful
        self.requested = False
        self.signalled = False  # a SIGTERM arrived (as opposed to request() by the caller)
        self._previous = None
        self._installed = False

    def request(self) -> None:
        """Ask to stop at the next clean point (as a first SIGTERM does with graceful=True)."""
        self.requested = True

    def _on_sigterm(self, signum, frame) -> None:
        self.signalled = True
        if self.graceful and not self.requested:
            self.requested = True
            return
        raise KeyboardInterrupt

    def __enter__(self) -> "StopOnSigterm":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)
            self._installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            # None: the previous handler was not set from Python and cannot be put back; the
            # default action (terminate) is the closest.
            signal.signal(signal.SIGTERM, signal.SIG_DFL if self._previous is None else self._previous)
            self._installed = False
