"""The preview's build: one session's last good pages, and a memo that lives as long as the session.

Each save calls the one pipeline (pipeline.build_site) with them, so only what the save changed is made
again; the server (serve.py) shows what it returns.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError, flatten
from .pipeline import Memo, MemorySink, MemoryStore, RenderOptions, build_site, source_area


@dataclass(frozen=True)
class Failure:
    """Why the last rebuild did not produce a site: the user's mistakes, or our bug's traceback."""

    problems: tuple[BuildError, ...] = ()
    traceback: str = ""

    def __str__(self) -> str:
        if self.traceback:
            return f"The preview hit an unexpected error (a bug, not your files):\n{self.traceback}"
        count = len(self.problems)
        listing = "\n".join(str(problem) for problem in self.problems)
        return f"{listing}\n\n{count} problem{'s' if count != 1 else ''}; fix and save to continue."


@dataclass(frozen=True)
class Rebuild:
    """What one rebuild produced, to hand to the server."""

    pages: Mapping[str, bytes]  # every output file as a clean build makes it; the last good ones on failure
    rendered: frozenset[str]  # output paths rendered (or, for assets, read) by this rebuild
    changed: frozenset[str]  # output paths whose content differs from before, or that are gone
    reload_paths: tuple[str, ...]  # what to tell open tabs: stylesheet URLs, or "/" for a page reload
    failure: Failure | None
    recovered: bool  # the previous rebuild had failed and this one did not
    seconds: float
    # What the editor should know, and what must be filled in before publishing (Site.warnings, unfinished)
    warnings: tuple[BuildError, ...] = ()

    @property
    def news(self) -> bool:
        """Whether the open tabs have anything new to show."""
        return bool(self.changed) or self.failure is not None or self.recovered


def differing(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> frozenset[str]:
    """Output paths added, removed or changed between two sets of pages."""
    return frozenset(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


@dataclass
class Preview:
    """One preview session's build: the last good pages, and the memo that makes rebuilds cheap.

    Used from one thread at a time (the start-up, then the watcher)."""

    root: Path
    options: RenderOptions = field(default_factory=lambda: RenderOptions(drafts=True))
    memo: Memo = field(default_factory=lambda: Memo(MemoryStore()))
    pages: dict[str, bytes] = field(default_factory=dict)  # every output path -> bytes, as a build makes
    deferred: frozenset[str] = frozenset()  # out of date, left for finish()
    failing: bool = False
    warnings: tuple[BuildError, ...] = ()  # the last good build's (Rebuild.warnings)

    def rebuild(
        self, changed: set[str] | frozenset[str] = frozenset(), *, first: frozenset[str] | None = None
    ) -> Rebuild:
        """Bring the pages up to date with ``changed`` files (paths relative to the root).

        With ``first`` (the output paths open in the browser), only those are made at once if the
        preview has a page to show meanwhile; the others are left in ``deferred`` for finish().

        Later calls with only files the build does not read (an editor's swap file) do nothing, so
        they do not reload an error page while the user types."""
        relevant = {path for path in changed if source_area(path) is not None}
        if changed and not relevant:
            return Rebuild(self.pages, frozenset(), frozenset(), (), None, False, 0.0)
        assets = relevant and all(source_area(path) == "asset" for path in relevant)
        return self.attempt(lambda: self.run(first, None), restyled=bool(assets))

    def finish(self, interrupted: Callable[[], bool] = lambda: False) -> Rebuild:
        """Make the outputs rebuild() deferred, stopping early if ``interrupted()``: a new save is built
        first, and what is left is made when the saves pause."""
        return self.attempt(lambda: self.run(None, interrupted))

    def run(self, first: frozenset[str] | None, stop: Callable[[], bool] | None) -> frozenset[str]:
        sink = MemorySink(before=self.pages)
        built = build_site(self.root, self.options, self.memo, sink, first=first, stop=stop)
        self.pages, self.deferred = sink.pages, frozenset(built.deferred)
        self.warnings = (*built.site.warnings, *built.site.unfinished)
        return frozenset(built.made)

    def attempt(self, work: Callable[[], frozenset[str]], *, restyled: bool = False) -> Rebuild:
        """Run ``work``; a failure keeps the last good pages and says what went wrong."""
        started, before = time.perf_counter(), self.pages
        try:
            made = work()
        except (BuildError, ExceptionGroup) as error:
            problems = flatten(error)
            failure = Failure(tuple(problems)) if problems is not None else Failure(traceback=format_bug())
        except Exception:  # our bug: shown, and the preview keeps running
            failure = Failure(traceback=format_bug())
        else:
            recovered, self.failing = self.failing, False
            changed = differing(before, self.pages)
            # A style sheet or image edit swaps the file in open tabs; pages refer to it by a new
            # version, but what they show is the same.
            swapped = [path for path in sorted(changed) if source_area(path_in_project(path)) == "asset"]
            reload_paths = (
                tuple(f"{self.options.base_path}/{path}" for path in swapped) if restyled else ("/",)
            )
            seconds = time.perf_counter() - started
            return Rebuild(
                self.pages, made, changed, reload_paths or ("/",), None, recovered, seconds, self.warnings
            )
        self.memo.discard()  # what the failed build made was never shown: it must not be trusted
        self.failing = True
        seconds = time.perf_counter() - started
        return Rebuild(before, frozenset(), frozenset(), ("/",), failure, False, seconds)


def path_in_project(output_path: str) -> str:
    """Where an asset's output came from: templates/assets/… or content/images/…."""
    if output_path.startswith("assets/"):
        return f"templates/{output_path}"
    if output_path.startswith("images/"):
        return f"content/{output_path}"
    return output_path


def format_bug() -> str:
    return traceback.format_exc()
