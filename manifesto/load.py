"""Read site.yaml, content/ and the template assets: the only reader of the user's files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError, raise_if_any

CONTENT_KINDS = ("chapters", "articles", "pages")
# Files copied to the site as they are: (folder under the project root, URL prefix).
ASSET_FOLDERS = (("templates/assets", "/assets/"), ("content/images", "/images/"))


@dataclass(frozen=True)
class SourceFile:
    path: Path  # relative to the project root, as shown in messages
    kind: str  # "chapters", "articles" or "pages"
    text: str  # decoded, without a byte-order mark, with "\n" line endings


@dataclass(frozen=True)
class Asset:
    path: Path  # relative to the project root
    url_path: str
    data: bytes


@dataclass(frozen=True)
class Sources:
    config: SourceFile
    files: tuple[SourceFile, ...]  # sorted by path
    assets: tuple[Asset, ...]  # sorted by URL path


def decode_text(data: bytes, shown_path: Path) -> str:
    """UTF-8 text with a BOM and CRLF endings accepted; anything else is a clear error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BuildError(
            shown_path,
            line,
            f"this file is not UTF-8 text (byte 0x{data[error.start]:02x} at position {error.start})",
            'save it again as UTF-8 in your editor ("Save with encoding" → UTF-8)',
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_editor_litter(path: Path) -> bool:
    """Backups and swap files editors leave beside the file being edited."""
    name = path.name
    return name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".tmp", ".bak"))


def check_inside(path: Path, root: Path, shown: Path) -> None:
    if not path.resolve().is_relative_to(root.resolve()):
        raise BuildError(
            shown,
            None,
            f"this links to {path.resolve()}, outside the project folder",
            "copy the file into the project instead of linking to it",
        )


def read_source(path: Path, root: Path, kind: str) -> SourceFile:
    shown = path.relative_to(root)
    check_inside(path, root, shown)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BuildError(shown, None, f"cannot read this file: {error.strerror}") from None
    return SourceFile(shown, kind, decode_text(data, shown))


def list_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not is_editor_litter(p))


def load_sources(root: Path) -> Sources:
    """Everything a build reads, in a fixed order, with every unreadable file reported."""
    config_path = root / "site.yaml"
    if not config_path.is_file():
        raise BuildError(
            "site.yaml", None, f"no site.yaml in {root}", "run the command from the project folder"
        )
    errors: list[BuildError] = []
    files: list[SourceFile] = []
    config = None
    try:
        config = read_source(config_path, root, "config")
    except BuildError as error:
        errors.append(error)
    for kind in CONTENT_KINDS:
        for path in list_files(root / "content" / kind):
            if path.suffix.lower() != ".md":
                continue
            try:
                files.append(read_source(path, root, kind))
            except BuildError as error:
                errors.append(error)
    assets: list[Asset] = []
    for folder, prefix in ASSET_FOLDERS:
        base = root / folder
        for path in list_files(base):
            shown = path.relative_to(root)
            try:
                check_inside(path, root, shown)
                assets.append(Asset(shown, prefix + path.relative_to(base).as_posix(), path.read_bytes()))
            except BuildError as error:
                errors.append(error)
            except OSError as error:
                errors.append(BuildError(shown, None, f"cannot read this file: {error.strerror}"))
    raise_if_any(errors)
    assert config is not None
    return Sources(config, tuple(files), tuple(sorted(assets, key=lambda asset: asset.url_path)))
