"""SIGTERM for long commands: `kill`, a job scheduler or a container stop ends them like Ctrl-C.

One rule for every command: SIGTERM raises KeyboardInterrupt, so the command unwinds through
the same cleanup as Ctrl-C (temporary files removed, the run folder's lock released) and the
CLI exits with 130 (cli.EXIT_INTERRUPTED), also when the command stopped cleanly with a
checkpoint: the work is not done, so `srgan train ... && srgan release ...` stops there. A command that can stop at a clean point asks for the first SIGTERM as a
request instead (`graceful=True`): `stop.requested` becomes True and the command stops at its
next clean point (the trainer: after the current step, with a checkpoint); a second SIGTERM
raises KeyboardInterrupt, for a step that never ends (a hung data loader or device). With
`sigint=True` (training) Ctrl-C does the same: the first stops after the step, with a checkpoint
of a whole step (a Ctrl-C inside a step left weights half a step ahead of the step the
checkpoint was named for), a second one at once. A repeat
within REPEAT_SECONDS of the first is the same request, not a second one: Paddle's launcher
(`paddle.distributed.launch`), stopped by Ctrl-C or SIGTERM, sends each rank SIGTERM three
times 0.2 s apart and then waits 30 s before SIGKILL, time enough for the step and the checkpoint.

    with StopOnSigterm(graceful=True) as stop:
        for batch in loader:
            ...
            if stop.requested:
                break

This module imports no Paddle. Enter the context after Paddle is imported: Paddle installs
its own SIGTERM handler, which would otherwise replace this one.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time

_received = 0  # SIGTERMs that reached a StopOnSigterm in this process (sigterms_received)


def sigterms_received() -> int:
    """How many SIGTERMs a StopOnSigterm has handled in this process so far."""
    return _received


def hold_sigterm() -> bool:
    """Block SIGTERM (it stays pending) until release_sigterm: for the second in which Paddle is
    imported, whose own handler would answer a SIGTERM with a C++ stack dump and status 143
    before ours is set. True if it was blocked here (the main thread of a POSIX system)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return False
    return signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def release_sigterm(held: bool) -> None:
    """Undo hold_sigterm: a SIGTERM that came meanwhile is delivered now, to the handler then set."""
    if held:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


@contextlib.contextmanager
def deferred_interrupts(sigterm: bool = True):
    """Hold Ctrl-C and SIGTERM back for the block, then deliver them: for a few seconds of C++
    work that an exception raised in the middle leaves in pieces (paddle.jit.save: a traceback,
    a PreconditionNotMet error or a segmentation fault, and a temporary folder left behind;
    hostile test s21). The handlers are swapped for ones that only note the signal (masking it
    would not do: Paddle's threads would take it), and each noted signal is raised again, in
    order, once the old handlers are back. Main thread only; elsewhere the block runs as it is.
    sigterm=False holds back Ctrl-C only (where SIGTERM is blocked already: hold_sigterm)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    wanted = [sig for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None) if sigterm else None)
              if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN]  # an ignored signal stays ignored
    previous = {sig: signal.signal(sig, lambda signum, frame: noted.append(signum)) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        for sig in noted:
            signal.raise_signal(sig)


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

    REPEAT_SECONDS = 1.0  # a SIGTERM this soon after the first repeats it (the launcher's retries, 0.2 s apart)

    def __init__(self, *, graceful: bool = False, sigint: bool = False):
        self.graceful = graceful
        self.sigint = sigint and graceful  # Ctrl-C too: the first asks to stop at the next clean point
        self.requested = False
        self._first_signal = None  # time.monotonic() of the first SIGTERM
        self.signalled = False  # a SIGTERM arrived (as opposed to request() by the caller)
        self._previous = None
        self._installed = False

    def request(self) -> None:
        """Ask to stop at the next clean point (as a first SIGTERM does with graceful=True)."""
        self.requested = True

    def _on_sigterm(self, signum, frame) -> None:
        global _received
        now = time.monotonic()
        self.signalled, _received = True, _received + 1
        if self.graceful and self._first_signal is None:  # the first SIGTERM (a request() before it was no signal)
            self.requested, self._first_signal = True, now
            return
        if self.graceful and self._first_signal is not None and now - self._first_signal < self.REPEAT_SECONDS:
            return  # the same request again
        raise KeyboardInterrupt

    def _on_sigint(self, signum, frame) -> None:
        """Ctrl-C with sigint=True: the first stops at the next clean point (said on stderr, so
        that the user knows it was heard), a second one at once."""
        if not self.requested:
            self.requested = self.signalled = True
            print("stopping after this step (Ctrl-C again to stop at once)", file=sys.stderr, flush=True)
            return
        raise KeyboardInterrupt

    def __enter__(self) -> "StopOnSigterm":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)
            self._previous_int = signal.signal(signal.SIGINT, self._on_sigint) if self.sigint else None
            self._installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self._installed:
            # None: the previous handler was not set from Python and cannot be put back; the
            # default action (terminate) is the closest.
            signal.signal(signal.SIGTERM, signal.SIG_DFL if self._previous is None else self._previous)
            if self.sigint:
                signal.signal(signal.SIGINT, signal.default_int_handler if self._previous_int is None else self._previous_int)
            self._installed = False
