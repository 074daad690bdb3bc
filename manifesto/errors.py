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

    def __str__(self) -> str:
        return self.text()

    def text(self, label: str = "") -> str:
        """``file:line: problem`` and the hint; with ``label`` ("warning"), ``file:line: label: problem``."""
        where = f"{self.path.as_posix()}:{self.line}" if self.line else self.path.as_posix()
        text = f"{where}: {label}: {self.problem}" if label else f"{where}: {self.problem}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


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
