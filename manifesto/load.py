"""Read site.yaml, content/ and the template assets: the only reader of the user's files."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from .errors import BuildError, raise_if_any

CONTENT_KINDS = ("chapters", "articles", "pages")
# Files copied to the site as they are: (folder under the project root, URL prefix).
ASSET_FOLDERS = (("templates/assets", "/assets/"), ("content/images", "/images/"))
# The campaign's own formats of the platform (Easy Read, audio, BSL video), published when site.yaml
# lists them, and only of these types: suffix -> (media type, what readers are told the file is).
# The interface's translations: templates/locales/<language code>/LC_MESSAGES/messages.po (catalogues.py)
LOCALES_FOLDER = "templates/locales"
CATALOGUE_NAME = "LC_MESSAGES/messages.po"
FORMATS_FOLDER = "content/formats"
FORMATS_URL_PREFIX = "/formats/"
FORMAT_FILE_TYPES = {
    ".pdf": ("application/pdf", "PDF"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document"),
    ".epub": ("application/epub+zip", "EPUB"),
    ".txt": ("text/plain", "Plain text"),
    ".mp3": ("audio/mpeg", "MP3 audio"),
    ".m4a": ("audio/mp4", "M4A audio"),
    ".mp4": ("video/mp4", "MP4 video"),
    ".webm": ("video/webm", "WebM video"),
}
# File systems stamp times coarsely (a kernel tick on Linux, 2 s on FAT): a file changed this recently
# when it was read may change again without its stamp changing, so its stamp is not kept for the next build.
RACY_NS = 2_000_000_000
# Characters that a web page must not contain and that make a feed ill-formed XML: control characters
# other than tab and line ends, and Unicode's noncharacters. They are invisible in most editors and come
# from pasted text, so a file holding one is refused (it would otherwise have to be changed differently
# for each output).
# The regular expression finds them and every character outside the Basic Multilingual Plane, of which
# forbidden_position keeps the noncharacters (U+1FFFE, U+1FFFF, ...): a class that lists those 32 itself is
# matched a character at a time against each of them, six times as slow on every op-ed.
FORBIDDEN_OR_ASTRAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\U00010000-\U0010ffff]"
)
CHARACTER_NAMES = {
    "\x00": "a NUL character",
    "\x0b": "a vertical tab (a word processor's line break)",
    "\x0c": "a form feed (a word processor's page break)",
    "\x1b": "an escape character",
}


# (device, inode, size, modification and change times in ns) of a file, following symbolic links.
FileStamp = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class KnownSource:
    """What a build made of a content file (parse.Entry's digests), kept for the next build with the
    file's stamp when it was read: while the stamp is the same, the file need not be read again."""

    stamp: FileStamp
    front_matter_key: str
    body_digest: str
    body_first_line: int


@dataclass(frozen=True, eq=False)
class SourceFile:
    """A content file (or site.yaml). Its text is read when first asked for, unless it was given: a file
    unchanged since the last build (``known``) is often not read at all."""

    path: Path  # relative to the project root, as shown in messages
    kind: str  # "chapters", "articles" or "pages"
    given_text: str | None = field(default=None, repr=False)
    location: str = field(default="", repr=False)  # where to read the text from, when not given
    # The file's stamp, taken before it was read; None when it changed too recently to be trusted
    # (RACY_NS) or was not stamped. The last build's record, when the stamp is the same as then.
    stamp: FileStamp | None = field(default=None, repr=False)
    known: KnownSource | None = field(default=None, repr=False)
    modified_at: int = field(default=0, repr=False)  # seconds since 1970, when the file was last modified

    @cached_property
    def text(self) -> str:
        """Decoded, without a byte-order mark, with "\n" line endings."""
        if self.given_text is not None:
            return self.given_text
        try:
            data = read_bytes(self.location)
        except OSError as error:
            raise BuildError(self.path, None, f"cannot read this file: {error.strerror}") from None
        return decode_text(data, self.path)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceFile):
            return NotImplemented
        return (self.path, self.kind, self.text) == (other.path, other.kind, other.text)

    def __hash__(self) -> int:
        return hash((self.path, self.kind))


@dataclass(frozen=True)
class Asset:
    path: Path  # relative to the project root
    url_path: str
    data: bytes


@dataclass(frozen=True)
class CatalogueFile:
    """A language's catalogue of the interface's words, as the campaign edits it (a gettext .po file)."""

    path: Path  # relative to the project root
    language: str  # its folder's name: a language code, as site.yaml gives it
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Sources:
    config: SourceFile
    files: tuple[SourceFile, ...]  # sorted by path
    assets: tuple[Asset, ...]  # sorted by URL path
    templates_digest: str = ""  # names every template (what the pages are drawn with)
    # When each op-ed's file was last committed (committed_times), by its shown path; empty without git.
    committed: dict[str, int] = field(default_factory=dict)
    # content/formats/'s files of a type in FORMAT_FILE_TYPES, sorted by URL path: published only when
    # site.yaml lists them (parse.py)
    format_files: tuple[Asset, ...] = ()
    catalogues: tuple[CatalogueFile, ...] = ()  # sorted by language code; not in templates_digest
    catalogue_template: CatalogueFile | None = None  # templates/locales/messages.pot: every word to translate


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
    text = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    if (position := forbidden_position(text)) is not None:
        raise forbidden_character(text, position, shown_path)
    return text


def forbidden_position(text: str) -> int | None:
    """Where the first character a page must not contain is in ``text`` (None if there is none)."""
    for found in FORBIDDEN_OR_ASTRAL.finditer(text):
        code = ord(found[0])
        if code <= 0xFFFF or code & 0xFFFE == 0xFFFE:
            return found.start()
    return None


def forbidden_character(text: str, position: int, shown_path: Path) -> BuildError:
    line_start = text.rfind("\n", 0, position) + 1
    character = text[position]
    name = CHARACTER_NAMES.get(character, "a character that is not text")
    return BuildError(
        shown_path,
        text.count("\n", 0, position) + 1,
        f"column {position - line_start + 1} holds {name} (U+{ord(character):04X}), which a web page or feed "
        "cannot contain",
        "delete it (most editors do not show it: it comes with text pasted from elsewhere); "
        "use an empty line to start a new paragraph",
    )


def is_editor_litter(name: str) -> bool:
    """Backups and swap files editors leave beside the file being edited."""
    return name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".tmp", ".bak"))


def source_area(path: str) -> str | None:
    """What a changed file (posix, relative to the root) is to the build: "site" (site.yaml, templates,
    content), "asset" (a file copied as it is), or None for one it does not read (editor litter, other
    folders and suffixes)."""
    parts = PurePosixPath(path)
    if is_editor_litter(parts.name):
        return None
    if path == "site.yaml":
        return "site"
    if path.startswith(("templates/assets/", "content/images/", FORMATS_FOLDER + "/")):
        return "asset"
    if path.startswith("templates/"):
        return "site"
    if path.startswith("content/formats/"):
        return "site"  # the Other formats page shows each file's size
    if path.startswith(("content/articles/", "content/chapters/", "content/pages/")):
        return "site" if parts.suffix.lower() == ".md" else None
    return None


def check_inside(path: Path, real_root: Path, shown: Path) -> None:
    """Refuse a file that is, through a symbolic link, outside ``real_root`` (the resolved root)."""
    real = path.resolve()
    if not real.is_relative_to(real_root):
        raise BuildError(
            shown,
            None,
            f"this links to {real}, outside the project folder",
            "copy the file into the project instead of linking to it",
        )


@dataclass(frozen=True)
class ListedFile:
    path: Path
    shown: Path  # relative to the project root
    must_check: bool  # it, or the folder it was listed from, is a symbolic link: see where it leads
    regular: bool = True  # a file, or a link to one; not a link to nothing, a named pipe or a device


def check_regular(listed: ListedFile) -> None:
    """Refuse what has a file's name but is no file to read: a link to nothing, a named pipe, a device."""
    if listed.regular:
        return
    if listed.path.is_symlink() and not listed.path.exists():
        raise BuildError(
            listed.shown,
            None,
            f"this links to {os.readlink(listed.path)}, which does not exist",
            "copy the file here, or delete the link",
        )
    raise BuildError(
        listed.shown,
        None,
        "this is not a file that can be read (a named pipe, a socket or a device)",
        "delete it, or replace it with a file",
    )


def list_files(folder: Path, root: Path, real_root: Path) -> list[ListedFile]:
    """The files under ``folder`` in path order, without editor litter; folders that are symbolic links
    are not entered. Only files that may lead outside the project are resolved (resolving every file
    was most of the time a large site took to load)."""
    if not folder.is_dir():
        return []
    folder_inside = folder.resolve().is_relative_to(real_root)
    found: list[ListedFile] = []

    def walk(directory: Path, shown: Path) -> None:
        try:
            with os.scandir(directory) as entries:
                listed = list(entries)
        except OSError as error:
            raise BuildError(
                shown,
                None,
                f"cannot read this folder: {error.strerror}",
                "check that you may open it (its permissions), or move it out of the project",
            ) from None
        for entry in listed:
            if entry.is_dir(follow_symlinks=False):
                walk(directory / entry.name, shown / entry.name)
            elif not is_editor_litter(entry.name):
                linked = entry.is_symlink() or not folder_inside
                regular = entry.is_file()
                found.append(ListedFile(directory / entry.name, shown / entry.name, linked, regular))

    walk(folder, folder.relative_to(root))
    return sorted(found, key=lambda listed: listed.shown.parts)


def read_source(listed: ListedFile, real_root: Path, kind: str) -> SourceFile:
    check_regular(listed)
    if listed.must_check:
        check_inside(listed.path, real_root, listed.shown)
    try:
        modified_at = int(os.stat(listed.path).st_mtime)
        data = read_bytes(str(listed.path))
    except OSError as error:
        raise BuildError(listed.shown, None, f"cannot read this file: {error.strerror}") from None
    return SourceFile(listed.shown, kind, decode_text(data, listed.shown), modified_at=modified_at)


def stamp_of(info: os.stat_result) -> FileStamp:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def is_settled(stamp: FileStamp, now_ns: int) -> bool:
    """Whether a file with this stamp, read at ``now_ns``, is old enough for the stamp to tell when it
    changes again (RACY_NS)."""
    return now_ns - max(stamp[3], stamp[4]) > RACY_NS


def stamped_source(
    listed: ListedFile,
    real_root: Path,
    kind: str,
    known: Callable[[str], KnownSource | None],
    now_ns: int,
) -> SourceFile:
    """The file, stamped before it is read (a change made while it is read shows in the next stamp); not
    read when the last build's record has the same stamp (its text is then read only if asked for)."""
    check_regular(listed)
    if listed.must_check:
        check_inside(listed.path, real_root, listed.shown)
    location = str(listed.path)
    try:
        stamp = stamp_of(os.stat(location))
        settled = is_settled(stamp, now_ns)
        record = known(listed.shown.as_posix())
        modified_at = stamp[3] // 1_000_000_000
        if settled and record is not None and record.stamp == stamp:
            return SourceFile(listed.shown, kind, None, location, stamp, record, modified_at)
        data = read_bytes(location)
    except OSError as error:
        raise BuildError(listed.shown, None, f"cannot read this file: {error.strerror}") from None
    text = decode_text(data, listed.shown)
    return SourceFile(listed.shown, kind, text, location, stamp if settled else None, None, modified_at)


def read_bytes(path: str) -> bytes:
    """A file's bytes, read unbuffered in one call sized by the file (reading in fixed large chunks
    left 50 MB of freed buffers behind at 10,000 op-eds)."""
    with open(path, "rb", buffering=0) as file:
        return file.read()


def committed_times(root: Path, folder: str) -> dict[str, int]:
    """When each file under ``folder`` (relative to ``root``) was last committed, in seconds since 1970,
    by its path relative to ``root``: one ``git log``, newest commit first. The same for the same commit,
    whenever and wherever it is built. Empty when git is not installed or ``root`` has no history."""
    command = ["git", "-c", "core.quotePath=false", "-C", str(root), "log", "--format=%x00%ct"]
    command += ["--name-only", "--no-renames", "--relative", "--", folder]
    try:
        result = subprocess.run(command, capture_output=True, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return {}
    times: dict[str, int] = {}
    for record in result.stdout.decode("utf-8", "replace").split("\0")[1:]:
        seconds, _, names = record.partition("\n")
        for name in names.split("\n"):
            if name and seconds.strip().isdigit():
                times.setdefault(name, int(seconds))
    return times


def load_sources(root: Path, known: Callable[[str], KnownSource | None] | None = None) -> Sources:
    """Everything a build reads, in a fixed order, with every unreadable file reported. With ``known``
    (what the last build made of a content file, by its shown path), each content file is stamped, and
    one whose stamp is the one recorded is read only when its text is asked for."""
    config_path = root / "site.yaml"
    if not config_path.is_file():
        raise BuildError(
            "site.yaml", None, f"no site.yaml in {root}", "run the command from the project folder"
        )
    real_root = root.resolve()  # once: resolving it for every file was a third of the load
    now_ns = time.time_ns()  # before any file is stamped: a file changed since counts as recent
    errors: list[BuildError] = []
    files: list[SourceFile] = []
    config = None
    try:
        config = read_source(ListedFile(config_path, Path("site.yaml"), True), real_root, "config")
    except BuildError as error:
        errors.append(error)
    for kind in CONTENT_KINDS:
        try:
            listed_files = list_files(root / "content" / kind, root, real_root)
        except BuildError as error:
            errors.append(error)
            continue
        for listed in listed_files:
            if listed.path.suffix.lower() != ".md":
                continue
            try:
                if known is not None:
                    files.append(stamped_source(listed, real_root, kind, known, now_ns))
                else:
                    files.append(read_source(listed, real_root, kind))
            except BuildError as error:
                errors.append(error)
    assets: list[Asset] = []
    format_files: list[Asset] = []
    for folder, prefix in (*ASSET_FOLDERS, (FORMATS_FOLDER, FORMATS_URL_PREFIX)):
        base = root / folder
        found = format_files if folder == FORMATS_FOLDER else assets
        try:
            listed_assets = list_files(base, root, real_root)
        except BuildError as error:
            errors.append(error)
            continue
        for listed in listed_assets:
            if found is format_files and listed.path.suffix.lower() not in FORMAT_FILE_TYPES:
                continue  # never published, so never read
            try:
                check_regular(listed)
                if listed.must_check:
                    check_inside(listed.path, real_root, listed.shown)
                url_path = prefix + listed.path.relative_to(base).as_posix()
                found.append(Asset(listed.shown, url_path, listed.path.read_bytes()))
            except BuildError as error:
                errors.append(error)
            except OSError as error:
                errors.append(BuildError(listed.shown, None, f"cannot read this file: {error.strerror}"))
    templates_digest = hashlib.sha256()
    catalogues: list[CatalogueFile] = []
    catalogue_template: CatalogueFile | None = None
    try:
        templates = list_files(root / "templates", root, real_root)
    except BuildError as error:
        errors.append(error)
        templates = []
    for listed in templates:
        if listed.regular and not listed.shown.is_relative_to(ASSET_FOLDERS[0][0]):  # assets: above
            try:
                data = read_bytes(str(listed.path))
                decode_text(data, listed.shown)  # Jinja reads them again, as UTF-8
            except OSError as error:
                errors.append(BuildError(listed.shown, None, f"cannot read this file: {error.strerror}"))
            except BuildError as error:
                errors.append(error)
            else:
                language = catalogue_language(listed.shown)
                if language is not None:  # each language's pages name their catalogues (pipeline.py)
                    catalogues.append(CatalogueFile(listed.shown, language, data))
                else:
                    templates_digest.update(listed.shown.as_posix().encode() + b"\0" + data)
                if listed.shown == Path(LOCALES_FOLDER) / "messages.pot":
                    catalogue_template = CatalogueFile(listed.shown, "", data)
    raise_if_any(errors)
    assert config is not None
    assets_in_order = tuple(sorted(assets, key=lambda asset: asset.url_path))
    committed = committed_times(root, "content/articles")
    formats_in_order = tuple(sorted(format_files, key=lambda asset: asset.url_path))
    return Sources(
        config,
        tuple(files),
        assets_in_order,
        templates_digest.hexdigest(),
        committed,
        formats_in_order,
        tuple(sorted(catalogues, key=lambda catalogue: catalogue.language)),
        catalogue_template,
    )


def catalogue_language(shown: Path) -> str | None:
    """The language whose catalogue a file of templates/ is (LOCALES_FOLDER), or None."""
    locales = Path(LOCALES_FOLDER)
    if not shown.is_relative_to(locales):
        return None
    parts = shown.relative_to(locales).parts
    return parts[0] if len(parts) == 3 and "/".join(parts[1:]) == CATALOGUE_NAME else None
