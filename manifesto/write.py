"""Staged, atomic output: the only writer of files. The last good site survives any failed build."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import BuildError
from .render import RenderedPage

STAGING_PREFIX = ".staging-"
RETIRED_PREFIX = ".retired-"


def check_output_folder(out: Path, root: Path) -> None:
    """Refuse output folders whose replacement would destroy the user's own files."""
    out, root = out.resolve(), root.resolve()
    if out == root or root.is_relative_to(out):
        raise BuildError(
            out,
            None,
            "the output folder cannot be the project folder or one that contains it",
            "use the default _site/ or another new folder, e.g. --out _site",
        )
    if out.is_relative_to(root / "content") or out.is_relative_to(root / "templates"):
        raise BuildError(
            out, None, "the output folder cannot be inside content/ or templates/", "use the default _site/"
        )
    if out.is_dir() and any((out / name).exists() for name in ("content", "site.yaml", ".git", "build.py")):
        raise BuildError(
            out,
            None,
            "this folder holds source files (content/, site.yaml or .git), not a built site",
            "choose an empty or new folder for --out; it is replaced on every build",
        )


def safe_parts(relative: str) -> tuple[str, ...]:
    """The parts of ``relative``, refusing any path that could lead out of a folder (absolute, ``..``).

    Checked by its parts, not by resolving it on disk (a third of a rebuild's time on a large site): the
    folders written into are made by this module, so no symbolic link can be inside them.
    """
    parts = PurePosixPath(relative).parts
    if not parts or parts[0] == "/" or ".." in parts or "\0" in relative:
        raise BuildError(
            relative,
            None,
            "this page would be written outside the output folder",
            "slugs may only use lowercase letters, digits and hyphens",
        )
    return parts


def safe_target(folder: Path, relative: str) -> Path:
    """``folder / relative``, or a BuildError if ``relative`` could lead out of it (see safe_parts)."""
    return folder.joinpath(*safe_parts(relative))


def recover_interrupted(out: Path) -> None:
    """Put back the last good site if a build was killed between its two renames.

    Such a build leaves no output folder, and the last good site inside a retired folder beside it.
    """
    out = out.absolute()
    if out.exists():
        return
    for retired in sorted(out.parent.glob(f"{RETIRED_PREFIX}{out.name}-*/{out.name}")):
        os.replace(retired, out)
        return


def remove_leftovers(parent: Path, name: str) -> None:
    """Clear the staging and retired folders of builds that were killed half-way."""
    recover_interrupted(parent / name)
    for prefix in (STAGING_PREFIX, RETIRED_PREFIX):
        for leftover in parent.glob(f"{prefix}{name}-*"):
            shutil.rmtree(leftover, ignore_errors=True)


def link_or_copy(source: Path, target: str) -> None:
    """Carry an unchanged file from the last site into the new one (a hard link costs no copy)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@dataclass(frozen=True)
class WrittenPage:
    """What a rebuild needs to know of a page written into the staging folder."""

    output_path: str
    body_reads: frozenset[str]  # as RenderedPage's
    size: int
    mtime_ns: int


class Staging:
    """A new site, written file by file into a folder beside ``out`` and swapped in only when complete.

    Until ``publish()``, the last good site in ``out`` is untouched; a build that fails half-way calls
    ``discard()`` (``staged`` does both), so no half-written site is ever left in its place.
    """

    def __init__(self, out: Path) -> None:
        self.out = out.absolute()
        parent = self.out.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(parent, self.out.name)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{self.out.name}-", dir=parent))
            # Paths inside it are plain strings: pathlib's objects cost more than the writing, 20,000 times.
            self.folder_name = str(self.folder)
            self.made: set[str] = {self.folder_name}  # folders made inside it so far (by this process)
            self.published = False
        except OSError as error:
            raise BuildError(
                parent,
                None,
                f"cannot create the output folder: {error.strerror}",
                "check that the folder exists and that you may write to it",
            ) from None

    def target(self, relative: str) -> str:
        """Where ``relative`` goes in the staging folder, its folder made. Worker processes may write
        into the same staging folder at once: making a folder that another has just made is fine."""
        *folders, name = safe_parts(relative)
        parent = os.path.join(self.folder_name, *folders)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        return os.path.join(parent, name)

    def write(self, relative: str, data: bytes) -> os.stat_result:
        """Write one file of the new site; its size and time, as the published file will have them."""
        # os-level calls: a Python file object costs two more system calls per file (20,000 files).
        descriptor = os.open(self.target(relative), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            remaining = memoryview(data)
            while remaining:
                remaining = remaining[os.write(descriptor, remaining) :]
            return os.fstat(descriptor)
        finally:
            os.close(descriptor)

    def write_page(self, page: RenderedPage) -> WrittenPage:
        stat = self.write(page.output_path, page.data)
        return WrittenPage(page.output_path, page.body_reads, stat.st_size, stat.st_mtime_ns)

    def carry(self, relative: str) -> None:
        """Take an unchanged file over from the last site."""
        link_or_copy(safe_target(self.out, relative), self.target(relative))

    def publish(self) -> None:
        if not self.published:
            os.chmod(self.folder, 0o755)
            swap_in(self.folder, self.out)
            self.published = True

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def staged(out: Path) -> Iterator[Staging]:
    """A Staging for ``out``, published when the block ends normally (if the block has not published
    it itself) and discarded if it raises.

    A failed write (a full disk) becomes a BuildError; the previous site stays as it was.
    """
    staging = Staging(out)
    try:
        yield staging
        staging.publish()
    except OSError as error:
        staging.discard()
        raise BuildError(
            staging.out,
            None,
            f"could not write the site: {error.strerror}",
            "check the free disk space and that you may write to this folder; the previous site is unchanged",
        ) from None
    except BaseException:
        staging.discard()
        raise


def write_site(pages: dict[str, bytes], out: Path) -> None:
    """Write every page into a staging folder beside ``out``, then swap it in."""
    with staged(out) as staging:
        for relative in sorted(pages):
            staging.write(relative, pages[relative])


def swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f"{RETIRED_PREFIX}{out.name}-", dir=out.parent))
    os.replace(out, retired / out.name)
    try:
        os.replace(staging, out)
    except OSError:
        os.replace(retired / out.name, out)  # put the last good site back
        raise
    shutil.rmtree(retired, ignore_errors=True)
