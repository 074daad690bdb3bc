"""The preview's watcher: which files under site.yaml, content/ and templates/ were saved, and when a
burst of saves is over.

A thread compares stat snapshots of the watched files (woken at once by inotify where there is one, else
every POLL_SECONDS), waits until saves stop for SETTLE_SECONDS, then hands the changed paths on; a save
made during a rebuild differs from the snapshot it started from, so it is built next.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import select
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from .pipeline import RACY_NS, source_area

POLL_SECONDS = 0.05  # how often the watched files are compared; one scan of 1,000 files takes ~3 ms
SETTLE_SECONDS = 0.03  # a burst of saves (editor temp file + rename, save-all) becomes one rebuild
MAX_SETTLE_SECONDS = 0.5  # files that never stop changing are built anyway, then again

# (inode, size, mtime in ns, digest of the content or "" when the stamp alone is trustworthy)
Stamp = tuple[int, int, int, str]
Snapshot = dict[str, Stamp]  # posix path relative to the root -> stamp


def file_digest(path: str) -> str:
    try:
        with open(path, "rb") as file:
            return hashlib.blake2b(file.read(), digest_size=16).hexdigest()
    except OSError:
        return ""


def stamp_file(path: str, info: os.stat_result, now_ns: int, previous: Stamp | None) -> Stamp:
    key = (info.st_ino, info.st_size, info.st_mtime_ns)
    racy = now_ns - info.st_mtime_ns < RACY_NS
    # A file hashed while racy is hashed once more after, in case it changed within its last stamp.
    was_racy = previous is not None and previous[:3] == key and previous[3] != ""
    if not (racy or was_racy):
        return (*key, "")
    digest = file_digest(path)
    keep = racy or (previous is not None and digest != previous[3])
    return (*key, digest if keep else "")


def scan_folder(folder: str, shown: str, now_ns: int, previous: Snapshot, snapshot: Snapshot) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # deleted or renamed since it was listed: its files are simply gone
    for entry in entries:
        name = f"{shown}/{entry.name}"
        try:
            if entry.is_dir(follow_symlinks=False):
                scan_folder(entry.path, name, now_ns, previous, snapshot)
                continue
            info = os.stat(entry.path)  # follows a symlinked file: edits to its target count
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            snapshot[name] = stamp_file(entry.path, info, now_ns, previous.get(name))


def scan(root: Path, previous: Snapshot | None = None) -> Snapshot:
    """Stamps of every file under the watched paths: site.yaml, content/ and templates/."""
    previous = previous or {}
    snapshot: Snapshot = {}
    now_ns = time.time_ns()
    config = str(root / "site.yaml")
    try:
        info = os.stat(config)
        snapshot["site.yaml"] = stamp_file(config, info, now_ns, previous.get("site.yaml"))
    except OSError:
        pass
    for folder in ("content", "templates"):
        scan_folder(str(root / folder), folder, now_ns, previous, snapshot)
    return snapshot


def differs(before: Stamp, after: Stamp) -> bool:
    return before[:3] != after[:3] or (before[3] != "" and after[3] != "" and before[3] != after[3])


def changed_paths(before: Snapshot, after: Snapshot) -> set[str]:
    changed = before.keys() ^ after.keys()
    changed.update(path for path in before.keys() & after.keys() if differs(before[path], after[path]))
    return changed


def settle(root: Path, latest: Snapshot, stop: threading.Event) -> Snapshot:
    """Rescan until two scans agree, so that a burst of saves is built once, from its last state."""
    deadline = time.monotonic() + MAX_SETTLE_SECONDS
    while not stop.wait(SETTLE_SECONDS):
        again = scan(root, latest)
        if not changed_paths(latest, again) or time.monotonic() > deadline:
            return again
        latest = again
    return latest


# Folder events that can mean a watched file changed (IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_FROM,
# IN_MOVED_TO, IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF), from <sys/inotify.h>.
INOTIFY_MASK = 0x002 | 0x004 | 0x008 | 0x040 | 0x080 | 0x100 | 0x200 | 0x400 | 0x800


class Wakeup:
    """Linux inotify, only to wake the watcher as soon as something is saved instead of at its next poll.

    What changed is always decided by comparing scans; where inotify is missing or silent (other
    systems, network and some container file systems), the watcher still polls every POLL_SECONDS.
    """

    def __init__(self) -> None:
        self.fd = -1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self.add_watch = libc.inotify_add_watch
            self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError):
            return

    def follow(self, root: Path) -> None:
        """Watch the root and every folder under content/ and templates/, including new ones."""
        if self.fd < 0:
            return
        folders = [str(root)]
        for top in ("content", "templates"):
            folders.extend(folder for folder, _, _ in os.walk(root / top))
        for folder in folders:
            self.add_watch(self.fd, os.fsencode(folder), INOTIFY_MASK)  # again for a known folder: no-op

    def wait(self, seconds: float) -> None:
        """Return after ``seconds``, or as soon as a watched folder reports an event."""
        if self.fd < 0:
            time.sleep(seconds)
            return
        ready, _, _ = select.select([self.fd], [], [], seconds)
        while ready:
            try:
                ready = bool(os.read(self.fd, 65536))
            except BlockingIOError:
                break

    def heard(self) -> bool:
        """Whether a watched folder has reported an event since the last wait(); always True (so the
        caller scans to find out) without inotify."""
        return self.fd < 0 or bool(select.select([self.fd], [], [], 0)[0])

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)


def saved_since(root: Path, snapshot: Snapshot, wakeup: Wakeup) -> bool:
    """Whether a file the build reads was saved since ``snapshot`` (an editor's swap file does not
    count: it would stop the pages left for later, and then rebuild nothing)."""
    if not wakeup.heard():
        return False
    return any(source_area(path) is not None for path in changed_paths(snapshot, scan(root, snapshot)))


def watch(
    root: Path,
    before: Snapshot,
    stop: threading.Event,
    on_change: Callable[[set[str]], None],
    on_idle: Callable[[Callable[[], bool]], None],
) -> None:
    """Call ``on_change`` with the changed paths after each burst of saves, until ``stop`` is set; in
    between, ``on_idle`` with a function that says whether anything was saved since.

    The snapshot is taken before the files are read for the rebuild, so a save made while it runs
    differs from it and is built next: the last save is always built.
    """
    wakeup = Wakeup()
    try:
        wakeup.follow(root)
        while not stop.is_set():
            try:
                before = watch_once(root, before, stop, wakeup, on_change, on_idle)
            except Exception:  # our bug: said, and the preview keeps watching
                print(
                    "\nThe preview's watcher hit an unexpected error (a bug, not your files):",
                    file=sys.stderr,
                )
                traceback.print_exc()
                stop.wait(POLL_SECONDS)
    finally:
        wakeup.close()


def watch_once(
    root: Path,
    before: Snapshot,
    stop: threading.Event,
    wakeup: Wakeup,
    on_change: Callable[[set[str]], None],
    on_idle: Callable[[Callable[[], bool]], None],
) -> Snapshot:
    """One look at the files: a rebuild after a burst of saves, or idle work. Returns the new baseline."""
    wakeup.wait(POLL_SECONDS)
    now = scan(root, before)
    if not changed_paths(before, now):
        # ``now`` carries the digests of recently saved files forward.
        on_idle(functools.partial(saved_since, root, now, wakeup))
        return now
    now = settle(root, now, stop)
    changed = changed_paths(before, now)
    wakeup.follow(root)
    if changed and not stop.is_set():
        on_change(changed)
    return now
