"""Staged output: the only writer of files. The last good site survives any failed build."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from .errors import BuildError

STAGING_PREFIX = ".staging-"
PUBLISHING_PREFIX = ".publishing-"
SITE_FOLDER = "site"  # inside a staging or publishing folder: the new files, laid out as in the site
REMOVED_LIST = "removed"  # inside a publishing folder: what to remove from the output, one path a line
# How a failure half-way through moving the new site in begins: the output then holds part of each site.
PUBLISHING_FAILED = "could not move the new site into place"


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
    if out.exists() and not out.is_dir():
        raise BuildError(
            out,
            None,
            "the output folder is a file",
            "move the file away, or choose another folder with --out",
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


def output_folder(out: Path) -> Path:
    """The folder the site goes into: ``out``, or the folder it links to (``_site`` linked to a web
    server's folder), so that the site is staged beside it, on its disk."""
    return out.resolve() if out.is_symlink() else out.absolute()


def recover_interrupted(out: Path) -> None:
    """Finish publishing a site whose build was killed while moving its files into ``out``.

    That build had fully succeeded: its new files wait in a publishing folder beside ``out``, with the list
    of what to remove, so its work is completed (the same files land in the same places) rather than undone.
    """
    out = output_folder(out)
    for publishing in sorted(out.parent.glob(f"{PUBLISHING_PREFIX}{out.name}-*")):
        finish_publishing(Path(publishing), out)


def finish_publishing(publishing: Path, out: Path) -> None:
    """publish_files, with a failure (a full disk, a file that may not be replaced) said plainly: the new
    files stay in the publishing folder, for the next build to move in."""
    try:
        publish_files(publishing, out)
    except OSError as error:
        raise BuildError(
            out,
            None,
            f"{PUBLISHING_FAILED}: {error.strerror} ({error.filename}); it is half moved in",
            f"fix that and build again: the next build finishes moving it in from {publishing.name}",
        ) from None


def remove_leftovers(parent: Path, name: str) -> None:
    """Clear the staging folders of builds that were killed half-way."""
    recover_interrupted(parent / name)
    for leftover in parent.glob(f"{STAGING_PREFIX}{name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)


@dataclass(frozen=True)
class OutputListing:
    """What an output folder holds, found without following any symbolic link."""

    files: dict[str, tuple[int, int]]  # regular file -> (size, modification time in ns)
    folders: list[str]
    others: list[str]  # symbolic links and anything else: never part of a site


def list_output(out: Path) -> OutputListing:
    """Every file and folder under ``out`` (nothing when there is no such folder), by relative path.

    ``out`` itself may be a symbolic link to the folder (``_site`` linked to a web server's folder)."""
    listing = OutputListing({}, [], [])

    def visit(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                relative = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    listing.folders.append(relative)
                    visit(entry.path, relative + "/")
                elif entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    listing.files[relative] = (stat.st_size, stat.st_mtime_ns)
                else:
                    listing.others.append(relative)

    if out.is_dir():
        visit(str(out.resolve()), "")
    return listing


def strays(listing: OutputListing, site_files: set[str]) -> list[str]:
    """What in a listed folder is not part of a site made of ``site_files``: files first, then folders
    (written with a trailing slash), deepest first."""
    needed = set()
    for path in site_files:
        folders = path.split("/")[:-1]
        needed.update("/".join(folders[:end]) for end in range(1, len(folders) + 1))
    files = sorted([path for path in listing.files if path not in site_files] + listing.others)
    folders = sorted((f"{folder}/" for folder in listing.folders if folder not in needed), reverse=True)
    return files + folders


def publish_files(publishing: Path, out: Path) -> None:
    """Remove what the list in ``publishing`` names from ``out``, move the new files in, and clear the
    publishing folder. Safe to run again on a folder a killed run had half finished."""
    try:
        removed = (publishing / REMOVED_LIST).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        removed = []  # the previous run got as far as moving files in
    for relative in removed:
        target = safe_target(out, relative)
        if relative.endswith("/"):
            shutil.rmtree(target, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
    (publishing / REMOVED_LIST).unlink(missing_ok=True)
    move_files_in(str(publishing / SITE_FOLDER), str(out))
    shutil.rmtree(publishing, ignore_errors=True)


def holds(folder: str, relative: str, data: bytes) -> bool:
    """Whether the file ``relative`` under ``folder`` holds exactly ``data``."""
    try:
        with open(os.path.join(folder, relative), "rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def move_files_in(source: str, target: str) -> None:
    """Move every file under ``source`` to the same place under ``target``, replacing what is there."""
    os.makedirs(target, exist_ok=True)
    with os.scandir(source) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                move_files_in(entry.path, os.path.join(target, entry.name))
            else:
                os.replace(entry.path, os.path.join(target, entry.name))


@dataclass(frozen=True)
class Written:
    """A file handed to a sink (Staging, MemorySink): how the sink will know it again (``token``:
    its size and modification time for a folder), and its bytes when they must travel back from a
    worker process to the sink."""

    path: str
    token: object
    data: bytes | None = None


class Sink(Protocol):
    """Where outputs go: a staging folder beside the output (write.Staging) or memory (write.MemorySink)."""

    def accept(self, path: str, data: bytes) -> Written: ...
    def receive(self, written: Written) -> None: ...
    def holds(self, path: str, token: object) -> bool: ...
    def has(self, path: str) -> bool: ...
    def finish(self, site_files: set[str]) -> None: ...


class Staging:
    """A new site, written file by file into a folder beside ``out`` and published only when complete.

    Only the files that changed are written; the others stay where they are. Until ``publish()``, the
    last good site in ``out`` is untouched; a build that fails half-way calls ``discard()`` (``staged``
    does both), so no half-written site is ever left in its place.
    """

    def __init__(self, out: Path, listing: OutputListing | None = None) -> None:
        self.out = output_folder(out)
        self.listing = listing  # what ``out`` held when the build began (listed again if not given)
        self.out_name = str(self.out)
        parent = self.out.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(parent, self.out.name)
            self.folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{self.out.name}-", dir=parent))
            # Paths inside it are plain strings: pathlib's objects cost more than the writing, 20,000 times.
            self.site_folder = os.path.join(self.folder, SITE_FOLDER)
            os.mkdir(self.site_folder)
            self.made: set[str] = {self.site_folder}  # folders made inside it so far (by this process)
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
        parent = os.path.join(self.site_folder, *folders)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        return os.path.join(parent, name)

    def write(self, relative: str, data: bytes) -> tuple[int, int]:
        """Write one file of the new site: its size and modification time (in ns), as published.

        A file the output folder already holds, byte for byte, is left where it is, not written again
        (most of the search index after an edit, every page after a template edit that changes no page).
        """
        present = self.listing.files.get(relative) if self.listing is not None else None
        if present is not None and present[0] == len(data) and holds(self.out_name, relative, data):
            return present
        # os-level calls: a Python file object costs two more system calls per file (20,000 files).
        descriptor = os.open(self.target(relative), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            remaining = memoryview(data)
            while remaining:
                remaining = remaining[os.write(descriptor, remaining) :]
            stat = os.fstat(descriptor)
            return stat.st_size, stat.st_mtime_ns
        finally:
            os.close(descriptor)

    def read_published(self, relative: str) -> bytes:
        """A file of the site as it is published (the output folder's, not the staging folder's)."""
        return safe_target(self.out, relative).read_bytes()

    def accept(self, path: str, data: bytes) -> Written:
        """Write a file (in whichever process renders it): a Written that needs nothing more."""
        return Written(path, self.write(path, data))

    def receive(self, written: Written) -> None:
        return  # the file is written already

    def holds(self, path: str, token: object) -> bool:
        """Whether the output folder still holds the very file written with ``token`` (a symbolic link
        or an edited file in its place is not)."""
        return self.listing is not None and self.listing.files.get(path) == token

    def has(self, path: str) -> bool:
        return self.listing is not None and path in self.listing.files

    def finish(self, site_files: set[str]) -> None:
        self.publish(site_files)

    def publish(self, site_files: set[str] | None = None) -> None:
        """Make the new site of ``site_files`` (by default, those written) the output: the whole folder
        when there is none yet; otherwise file by file, the strays removed and the new files moved in.

        The list of strays is written first, then the staging folder renamed to a publishing folder in
        one step: from then on, a killed build's publishing is finished by the next (recover_interrupted).
        """
        if self.published:
            return
        if not self.out.exists():
            os.replace(self.site_folder, self.out)
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            listing = self.listing if self.listing is not None else list_output(self.out)
            if site_files is None:
                site_files = set(list_output(Path(self.site_folder)).files)
            removed = "".join(f"{path}\n" for path in strays(listing, site_files))
            (self.folder / REMOVED_LIST).write_text(removed, encoding="utf-8")
            publishing = self.folder.with_name(PUBLISHING_PREFIX + self.folder.name[len(STAGING_PREFIX) :])
            os.replace(self.folder, publishing)
            finish_publishing(publishing, self.out)
        self.published = True

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def staged(out: Path, listing: OutputListing | None = None) -> Iterator[Staging]:
    """A Staging for ``out``, published when the block ends normally (if the block has not published
    it itself) and discarded if it raises.

    A failed write (a full disk) becomes a BuildError; the previous site stays as it was.
    """
    staging = Staging(out, listing)
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


@dataclass
class MemorySink:
    """A site kept in memory ({output path: bytes}) instead of a folder: for the preview, which keeps the
    last site's pages (``before``) and replaces those rebuilt, and for ``check`` and the PDF's printing.
    A file is known again by its length, which only this sink changes."""

    before: dict[str, bytes] = field(default_factory=dict)
    pages: dict[str, bytes] = field(default_factory=dict)

    def accept(self, path: str, data: bytes) -> Written:
        return Written(path, len(data), data)

    def receive(self, written: Written) -> None:
        assert written.data is not None
        self.pages[written.path] = written.data

    def holds(self, path: str, token: object) -> bool:
        data = self.before.get(path)
        return data is not None and len(data) == token

    def has(self, path: str) -> bool:
        return path in self.before

    def finish(self, site_files: set[str]) -> None:
        """The site is ``site_files``: those not written afresh are the ones from before."""
        self.pages = {
            path: self.pages[path] if path in self.pages else self.before[path]
            for path in sorted(site_files)
            if path in self.pages or path in self.before
        }


def write_site(pages: dict[str, bytes], out: Path) -> None:
    """Write every page into a staging folder beside ``out``, then publish them."""
    with staged(out) as staging:
        for relative in sorted(pages):
            staging.write(relative, pages[relative])
