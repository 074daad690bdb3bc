"""Content files unchanged since the last build (same stamp) are not read again (load.stamped_source)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import read_tree, run

from manifesto import load
from manifesto.errors import BuildError
from manifesto.load import KnownSource, SourceFile, stamp_of
from manifesto.memo import Memo, MemoryStore
from manifesto.parse import body_digest, parse_entries


@pytest.fixture
def files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The content files read from here on (by path relative to the project), in order; site.yaml, read
    by every build, is left out."""
    read: list[str] = []
    real_read_bytes = load.read_bytes

    def noted(path: str) -> bytes:
        if "/project/content/" in path:
            read.append(path.split("/project/", 1)[1])
        return real_read_bytes(path)

    monkeypatch.setattr(load, "read_bytes", noted)
    return read


def test_only_the_files_changed_since_the_last_build_are_read(
    make_site: Callable[..., Path], tmp_path: Path, files_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site()
    assert run(root) == 0
    assert run(root) == 0  # the files were too new for their stamps to be trusted: read again
    assert "content/articles/first-op-ed.md" in files_read
    monkeypatch.setattr(load, "RACY_NS", -(10**12))  # from here on, any stamp is old enough
    assert run(root) == 0
    files_read.clear()
    assert run(root) == 0
    assert files_read == []
    second = root / "content/articles/second-op-ed.md"
    second.write_text(second.read_text().replace("for fair funding.", "for fair funding, loudly."))
    files_read.clear()
    assert run(root) == 0
    assert files_read == ["content/articles/second-op-ed.md"]
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")


def test_a_file_given_back_its_old_size_and_modification_time_is_still_read(
    make_site: Callable[..., Path], tmp_path: Path, files_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a copy that keeps times would: only the change time, which no program can set, tells."""
    monkeypatch.setattr(load, "RACY_NS", -(10**12))
    root = make_site()
    assert run(root) == 0
    second = root / "content/articles/second-op-ed.md"
    before = second.stat()
    second.write_text(second.read_text().replace("fair funding.", "FAIR FUNDING."))
    os.utime(second, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (second.stat().st_size, second.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    files_read.clear()
    assert run(root) == 0
    assert files_read == ["content/articles/second-op-ed.md"]
    assert "FAIR FUNDING." in (root / "_site/articles/second-op-ed/index.html").read_text()


def test_a_body_that_changed_under_its_known_stamp_is_refused(tmp_path: Path) -> None:
    """A file rewritten between being stamped and being read must not have its new text converted under
    the old text's digest (the cache would keep the pair)."""
    path = tmp_path / "op-ed.md"
    front_matter = "---\ntitle: T\nauthor: A\nchapter: c\nsummary: S\n---\n"
    path.write_text(front_matter + "\nThe text as it was.\n")
    stamp = stamp_of(path.stat())
    old = SourceFile(Path("content/articles/op-ed.md"), "articles", path.read_text(), str(path), stamp)
    memo = Memo(MemoryStore())
    entries, errors = parse_entries([old], memo)
    assert not errors
    known = KnownSource(
        stamp, entries[0].front_matter_key, entries[0].body_digest, entries[0].body_first_line
    )
    assert entries[0].body_digest == body_digest("\nThe text as it was.\n")
    path.write_text(front_matter + "\nThe text as it is now.\n")
    unread = SourceFile(old.path, "articles", None, str(path), stamp, known)
    [entry], errors = parse_entries([unread], memo)
    assert not errors and entry.front_matter.values["title"] == "T"
    with pytest.raises(BuildError, match="changed while the site was built"):
        _ = entry.body


def test_unread_files_whose_converted_bodies_are_gone_are_read_and_converted(
    make_site: Callable[..., Path], tmp_path: Path, files_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "RACY_NS", -(10**12))
    root = make_site()
    assert run(root) == 0
    for kept in (root / ".cache").glob("body-*.bin"):
        kept.unlink()
    files_read.clear()
    assert run(root) == 0
    assert sorted(files_read) == sorted(
        path.relative_to(root).as_posix() for path in (root / "content").rglob("*.md")
    )
    assert run(root, "build", "--out", str(tmp_path / "clean"), "--no-cache") == 0
    assert read_tree(root / "_site") == read_tree(tmp_path / "clean")
