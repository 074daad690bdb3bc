"""The one error type for mistakes in the user's files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class BuildError(Exception):
    """A mistake in the user's files; printed as-is, never with a traceback.

    ``path`` is shown as given, so callers pass it relative to the project root.
    """

    def __init__(self, path: Path | str, line: int | None, problem: str, hint: str = "") -> None:
        super().__init__(problem)
        self.path = Path(path)
        self.line = line
        self.problem = problem
        self.hint = hint

    def __reduce__(self) -> tuple[type[BuildError], tuple[Path, int | None, str, str]]:
        # Errors raised in worker processes travel back pickled.
        return (BuildError, (self.path, self.line, self.problem, self.hint))

    @property
    def where(self) -> str:
        """``file:line``, the file's name in quotes when it holds a character that does not print."""
        shown = self.path.as_posix()
        shown = shown if shown.isprintable() else f'"{printable(shown)}"'
        return f"{shown}:{self.line}" if self.line else shown

    def __str__(self) -> str:
        return self.text()

    def text(self, label: str = "") -> str:
        """``file:line: problem`` and the hint; with ``label`` ("warning"), ``file:line: label: problem``.
        Problems quote names and values from the user's files: each stays on its own line."""
        problem = printable(self.problem)
        text = f"{self.where}: {label}: {problem}" if label else f"{self.where}: {problem}"
        if self.hint:
            text += f"\n  hint: {printable(self.hint)}"
        return text


def printable(text: str) -> str:
    """``text`` with each character that does not print as itself (a line end, a control character)
    written as its escape, so that a name from the user's files cannot forge a line of the report."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def raise_if_any(errors: Iterable[BuildError]) -> None:
    """Fail once with every problem found, so a user fixes them in one pass."""
    collected = list(errors)
    if len(collected) == 1:
        raise collected[0]
    if collected:
        raise ExceptionGroup(f"{len(collected)} problems", collected)


def flatten(error: BaseException) -> list[BuildError] | None:
    """The user errors inside ``error``, or None when it holds anything else (our bug)."""
    if isinstance(error, BuildError):
        return [error]
    if isinstance(error, BaseExceptionGroup):
        found: list[BuildError] = []
        for inner in error.exceptions:
            nested = flatten(inner)
            if nested is None:
                return None
            found.extend(nested)
        return found
    return None
