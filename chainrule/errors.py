"""The one exception type the command line maps to a one-line error and an exit code."""

from __future__ import annotations

__all__ = ["USAGE_ERROR", "CLIError"]

USAGE_ERROR = 2  # bad input, as argparse uses for its own usage errors


class CLIError(Exception):
    """Expected bad input (or a missing tool): printed as ``chainrule: error: <message>``.

    ``exit_code`` is 2 for bad input; a missing external program uses 1.
    The message is flattened to one line when printed.
    """

    def __init__(self, message: str, exit_code: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    @property
    def one_line(self) -> str:
        """The message with line breaks collapsed into spaces."""
        return " ".join(str(self).split())
