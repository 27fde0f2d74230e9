"""The package's notes to its user: one logger, "srgan", that a library user can silence.

Training says what it decided and did (a checkpoint skipped or taken over, where it stopped,
architecture taken from the initial weights) through `logger`, not print: by default the notes
go to standard error as plain lines, as the CLI shows them; a program that embeds srgan turns
them off with `logging.getLogger("srgan").setLevel(logging.WARNING)` (or routes them with its
own handlers: `logging.getLogger("srgan").propagate = True` and remove NOTES_HANDLER).
"""

from __future__ import annotations

import logging
import sys


class _CurrentStderr(logging.StreamHandler):
    """A handler writing to sys.stderr as it is when a note is made (Jupyter and pytest replace
    it after import), one plain line per note."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ sets it; the current sys.stderr is used instead
        pass


logger = logging.getLogger("srgan")
NOTES_HANDLER = _CurrentStderr()
if not logger.handlers:  # a reload keeps one handler
    logger.addHandler(NOTES_HANDLER)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the root logger's handlers would print every note twice
