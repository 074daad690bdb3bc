"""Staged output: the only writer of files. The last good site survives any failed build."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from .errors import BuildError

try:
    import fcntl
except ImportError:  # Windows: builds into one folder are not kept apart
    fcntl = None  # type: ignore[assignment]

# A build works inside its output folder (so that its files move in on the same file system, even when
# the folder is a mount point), in folders named with these prefixes.
STAGING_PREFIX = ".staging-"
PUBLISHING_PREFIX = ".publishing-"
SITE_FOLDER = "site"  # inside a staging or publishing folder: the new files, laid out as in the site
REMOVED_LIST = "removed"  # inside a publishing folder: what to remove from the output, one path a line
# The generator's mark in every output folder it writes into: its first line says so, the others list
# the files it wrote there. A build replaces or removes nothing else.
SITE_MARK = ".manifesto-site"
MARK_HEADER = "# Built by python build.py, which replaces or removes only the files listed below."
# Names at the top of an output folder that are never part of a site and never touched: the build's own
# and a file system's (the root of a mounted volume has lost+found).
OWN_NAMES = (SITE_MARK, "lost+found")
# Every build writes these. A folder without the mark that holds all of them and nothing but files of
# the kinds the generator writes is a site built before the mark was (it is taken as the generator's).
EVERY_SITE_FILE = (
    "index.html",
    "404.html",
    "feed.xml",
    "sitemap.xml",
    "robots.txt",
    "search/index.html",
    "search/data/documents.json",
)
TOP_SITE_FILES = frozenset(EVERY_SITE_FILE[:5]) | {"manifesto.pdf"}
SITE_FILE_FOLDERS = ("assets/", "images/", "search/data/")
# How long a build waits for another build into the same folder to finish.
LOCK_WAIT_SECONDS = 60.0
LOCK_POLL_SECONDS = 0.1
# How a failure half-way through moving the new site in begins: the output then holds part of each site.
PUBLISHING_FAILED = "could not move the new site into place"
# How the refusal of a folder the build did not make begins: there was no previous site in it.
FOREIGN_FOLDER = "this folder already holds files that were not built here"


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
    server's folder)."""
    return out.resolve() if out.is_symlink() else out.absolute()


def read_mark(folder: Path) -> set[str] | None:
    """The files the generator wrote into ``folder``, by its mark; None when the folder has no mark (a
    link, a folder or a file that does not begin with MARK_HEADER is none)."""
    try:
        # Not following a link, and not waiting on a pipe put in its place.
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # not on Windows
        descriptor = os.open(folder / SITE_MARK, flags)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        lines = file.read().decode("utf-8", "replace").split("\n")
    if lines[0] != MARK_HEADER:
        return None
    return {line for line in lines[1:] if line}


def mark_text(files: Iterable[str]) -> str:
    return "".join(f"{line}\n" for line in [MARK_HEADER, *sorted(files)])


def write_mark(folder: Path, files: Iterable[str]) -> None:
    """Mark ``folder`` as the generator's, listing ``files`` as written by it (in one step)."""
    temporary = folder / f"{SITE_MARK}.new"
    temporary.unlink(missing_ok=True)
    temporary.write_text(mark_text(files), encoding="utf-8")
    os.replace(temporary, folder / SITE_MARK)


def is_earlier_site(listing: OutputListing) -> bool:
    """Whether an unmarked folder holds a site built by a version of the generator from before the mark:
    every file each build writes, and nothing that is not a file of a kind it writes."""
    if listing.others or not all(path in listing.files for path in EVERY_SITE_FILE):
        return False
    return all(
        path in TOP_SITE_FILES or path.endswith("/index.html") or path.startswith(SITE_FILE_FOLDERS)
        for path in listing.files
    )


def adopt_output_folder(folder: Path, shown: Path) -> None:
    """Mark an output folder that has no mark, if it may be the generator's: an empty one, or a site an
    earlier version built (its files are then the generator's). Any other is refused, whatever it holds."""
    listing = list_output(folder)
    if not listing.files and not listing.others and not listing.folders:
        write_mark(folder, ())
    elif is_earlier_site(listing):
        write_mark(folder, listing.files)
    else:
        raise BuildError(
            shown,
            None,
            f"{FOREIGN_FOLDER}, and building into it would replace them",
            "build into a new or empty folder (e.g. --out _site); to rebuild a site built before, "
            f"delete that folder first (builds mark their folders with a {SITE_MARK} file)",
        )


@contextmanager
def claimed_output(out: Path, root: Path) -> Iterator[Path]:
    """The output folder (made if there is none, checked to be the generator's, marked) for as long as
    the block runs, with no other build writing into it; a build killed while publishing into it has
    been finished first (recover_interrupted)."""
    check_output_folder(out, root)
    folder = output_folder(out)
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(
            out,
            None,
            f"cannot create the output folder: {error.strerror}",
            "check that the folder above it exists and that you may write to it",
        ) from None
    with locked(folder, out):
        if read_mark(folder) is None:
            try:
                adopt_output_folder(folder, out)
            except OSError as error:
                raise unwritable(out, error) from None
        recover_interrupted(folder)
        remove_leftovers(folder)
        try:
            yield folder
        except BaseException:
            if made:  # a first build that failed leaves no folder behind (its staging is gone already)
                with contextlib.suppress(OSError):
                    (folder / SITE_MARK).unlink()
                    folder.rmdir()
            raise


def unwritable(out: Path, error: OSError) -> BuildError:
    return BuildError(
        out,
        None,
        f"cannot write into the output folder: {error.strerror}",
        "check that you may write to it (a read-only folder or disk cannot take the site); "
        "the previous site is unchanged",
    )


@contextmanager
def locked(folder: Path, shown: Path) -> Iterator[None]:
    """Holds a lock on ``folder`` (the folder itself: nothing is written for it) while the block runs.
    Another build holding it is waited for, up to LOCK_WAIT_SECONDS. The lock goes with the process,
    so a killed build never leaves it held."""
    if fcntl is None:
        yield
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BuildError(
                        shown,
                        None,
                        f"another build has been writing into this folder for over {LOCK_WAIT_SECONDS:.0f} s",
                        "wait for it to finish, then build again (or build into another folder with --out)",
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(descriptor)  # and with it the lock


def recover_interrupted(folder: Path) -> None:
    """Finish publishing a site whose build was killed while moving its files into ``folder``.

    That build had fully succeeded: its new files wait in a publishing folder inside ``folder``, with the
    list of what to remove, so its work is completed (the same files land in the same places) rather than
    undone.
    """
    for publishing in sorted(folder.glob(f"{PUBLISHING_PREFIX}*")):
        finish_publishing(Path(publishing), folder)


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


def remove_leftovers(folder: Path) -> None:
    """Clear the staging folders of builds that were killed half-way."""
    for leftover in folder.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


@dataclass(frozen=True)
class OutputListing:
    """What an output folder holds, found without following any symbolic link (the generator's own
    entries at its top, OWN_NAMES and its working folders, left out)."""

    files: dict[str, tuple[int, int]]  # regular file -> (size, modification time in ns)
    folders: list[str]
    others: list[str]  # symbolic links and anything else: never part of a site


def is_own_entry(name: str) -> bool:
    return name in OWN_NAMES or name.startswith((STAGING_PREFIX, PUBLISHING_PREFIX, f"{SITE_MARK}."))


def list_output(out: Path) -> OutputListing:
    """Every file and folder under ``out`` (nothing when there is no such folder), by relative path.

    ``out`` itself may be a symbolic link to the folder (``_site`` linked to a web server's folder)."""
    listing = OutputListing({}, [], [])

    def visit(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not prefix and is_own_entry(entry.name):
                    continue
                relative = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    listing.folders.append(relative)
                    visit(entry.path, relative + "/")
                elif entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    listing.files[relative] = (info.st_size, info.st_mtime_ns)
                else:
                    listing.others.append(relative)

    if out.is_dir():
        visit(str(out.resolve()), "")
    return listing


def folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder the files ``paths`` are in, by relative path."""
    found = set()
    for path in paths:
        folders = path.split("/")[:-1]
        found.update("/".join(folders[:end]) for end in range(1, len(folders) + 1))
    return found


def strays(listing: OutputListing, site_files: set[str], written: set[str]) -> list[str]:
    """What to remove from a listed folder for it to hold a site made of ``site_files``: files first,
    then folders (written with a trailing slash), deepest first.

    Only what the generator wrote there (``written``) is removed, and a folder only when that leaves it
    empty. Anything else in the way of the new site is removed only if it is not a regular file (a
    link where the site has a folder: the link goes, not what it leads to); see files_in_the_way.
    """
    needed = folders_of(site_files)
    files = sorted(
        [path for path in listing.files if path not in site_files and path in written]
        + [path for path in listing.others if path in written or path in needed or path in site_files]
    )
    folders = sorted((f"{folder}/" for folder in folders_of(files) if folder not in needed), reverse=True)
    return files + folders


def files_in_the_way(listing: OutputListing, site_files: set[str], written: set[str]) -> list[str]:
    """Regular files the generator did not write where the new site has a file or a folder, and folders
    where it has a file: publishing would replace or remove them, so the build refuses to."""
    taken = site_files | folders_of(site_files)
    files = [path for path in listing.files if path in taken and path not in written]
    return sorted(files + [folder for folder in listing.folders if folder in site_files])


def publish_files(publishing: Path, out: Path) -> None:
    """Remove what the list in ``publishing`` names from ``out``, move the new files in, mark ``out`` with
    the list of files now written there, and clear the publishing folder. Safe to run again on a folder
    a killed run had half finished."""
    try:
        removed = (publishing / REMOVED_LIST).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        removed = []  # the previous run got as far as moving files in
    for relative in removed:
        target = safe_target(out, relative)
        if relative.endswith("/"):
            with contextlib.suppress(OSError):  # not empty: what is left was not written by the generator
                os.rmdir(target)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
    (publishing / REMOVED_LIST).unlink(missing_ok=True)
    move_files_in(str(publishing / SITE_FOLDER), str(out))
    if (publishing / SITE_MARK).exists():
        os.replace(publishing / SITE_MARK, out / SITE_MARK)
    shutil.rmtree(publishing, ignore_errors=True)


def holds(folder: str, relative: str, data: bytes) -> bool:
    """Whether the file ``relative`` under ``folder`` holds exactly ``data``."""
    try:
        with open(os.path.join(folder, relative), "rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def move_files_in(source: str, target: str) -> None:
    """Move every file under ``source`` to the same place under ``target``, replacing what is there (no
    folder is there that publish_files has not cleared of what is in the way)."""
    os.makedirs(target, exist_ok=True)
    with os.scandir(source) as entries:
        for entry in entries:
            destination = os.path.join(target, entry.name)
            if entry.is_dir(follow_symlinks=False) and os.path.lexists(destination):
                move_files_in(entry.path, destination)
            else:  # a file, or a folder the output has not got yet: moved whole
                os.replace(entry.path, destination)


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
        try:
            # Inside the output folder: on its file system, so that the files move in by renaming them.
            self.out.mkdir(parents=True, exist_ok=True)
            self.folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out))
            # Paths inside it are plain strings: pathlib's objects cost more than the writing, 20,000 times.
            self.site_folder = os.path.join(self.folder, SITE_FOLDER)
            os.mkdir(self.site_folder)
            self.made: set[str] = {self.site_folder}  # folders made inside it so far (by this process)
            self.published = False
        except OSError as error:
            raise unwritable(out, error) from None

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
        """Make the new site of ``site_files`` (by default, those written) the output, file by file: the
        files the generator wrote there that are no longer part of the site removed, the new files moved
        in, the mark rewritten to list the site's files.

        The list of what to remove and the new mark are written first, then the staging folder renamed to
        a publishing folder in one step: from then on, a killed build's publishing is finished by the
        next (recover_interrupted).
        """
        if self.published:
            return
        listing = self.listing if self.listing is not None else list_output(self.out)
        if site_files is None:
            site_files = set(list_output(Path(self.site_folder)).files)
        written = read_mark(self.out) or set()
        in_the_way = files_in_the_way(listing, site_files, written)
        if in_the_way:
            raise BuildError(
                self.out / in_the_way[0],
                None,
                "the new site has a file or folder here, and what is here was not written by the build",
                "move it out of the output folder, then build again",
            )
        removed = "".join(f"{path}\n" for path in strays(listing, site_files, written))
        (self.folder / REMOVED_LIST).write_text(removed, encoding="utf-8")
        if written != site_files:
            (self.folder / SITE_MARK).write_text(mark_text(site_files), encoding="utf-8")
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
