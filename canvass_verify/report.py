"""The lines the verifier prints: one per check, then a verdict decided by the first failure."""

from __future__ import annotations

from typing import TextIO


class Report:
    """Prints each check as it is decided and remembers the first failure."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self.first_failure: str | None = None

    def ok(self, text: str) -> None:
        """A check that passed."""
        self._line("OK", text)

    def fail(self, text: str) -> None:
        """A check that failed: the verdict will be NOT VERIFIED."""
        self._line("FAIL", text)
        if self.first_failure is None:
            self.first_failure = text

    def note(self, text: str) -> None:
        """Something the reader should know that is not itself a check."""
        self._line("NOTE", text)

    def verdict(self, verified: str) -> int:
        """Print the verdict line and return the exit code: 0 verified, 1 not."""
        if self.first_failure is not None:
            return self.stop()
        print(f"VERIFIED: {verified}", file=self._out, flush=True)
        return 0

    def stop(self) -> int:
        """End after a failure that leaves nothing more to check: NOT VERIFIED, exit code 1."""
        print(f"NOT VERIFIED: {self.first_failure}", file=self._out, flush=True)
        return 1

    def _line(self, status: str, text: str) -> None:
        print(f"{status}  {text}", file=self._out, flush=True)
