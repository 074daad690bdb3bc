"""The build cache under .cache/: rendered Markdown and a record of every page written, so that a rebuild
converts and renders only what its inputs changed.

It can never make a wrong site. Every entry is keyed by the hash of everything it was made from, including
the generator's own code; a file that is unreadable, truncated or fails its checksum is ignored whole (the
build is then simply cold); a page is reused, or patched (splice.py), only if the file the last build wrote
is still there, unchanged in size and modification time; and a content file is not read again only while
its stamp, change time included, is the one recorded when it was read (load.stamped_source).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import marshal
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from markupsafe import Markup

from . import __version__
from .body import LinkRef, RenderedBody
from .load import KnownSource, KnownSources
from .model import BODY_MEASURES, Article, Site
from .parse import EntryCache, FrontMatter
from .search import IndexPart, Postings
from .write import OutputListing

FORMAT = 2  # of the cache files: raised when their layout changes
PACKAGE_DIR = Path(__file__).resolve().parent


def generator_fingerprint() -> str:
    """Changes whenever the generator's code does, so that no output of an older version is reused."""
    digest = hashlib.sha256(f"{FORMAT}:{__version__}".encode())
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def digest_text(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def folder_fingerprint(folder: Path) -> str:
    """Every file under ``folder`` (the templates and their assets), by name and content."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def body_fingerprints(site: Site, bodies: dict[BodyKey, RenderedBody]) -> dict[str, str]:
    """Each op-ed's body, by slug, as the key its conversion is cached by (``bodies``, as parse_site
    left it: one key a source file), which names the body without hashing its HTML again."""
    keys = {key[0]: key for key in bodies}
    fingerprints = {}
    for article in site.articles:
        key = keys.get(article.source_path.as_posix())
        fingerprints[article.slug] = (
            digest_text(*key)
            if key is not None and bodies[key].html == article.body_html
            else digest_text(article.body_html, "\n".join(sorted(article.anchors)), str(article.word_count))
        )
    return fingerprints


@dataclass(frozen=True)
class BodyStates:
    """Each op-ed's body as it is now, to hold against what a page read of it (PageRecord.bodies).

    A page that read an op-ed's text depends on its fingerprint (body_fingerprints); one that read only
    figures measured from it (model.BODY_MEASURES) depends on those figures, recorded as
    "reading_minutes=4" (several joined by ";"), which no fingerprint looks like."""

    fingerprints: dict[str, str]  # slug -> body_fingerprints'
    articles: Mapping[str, Article]  # slug -> the op-ed
    figures_checked: dict[tuple[str, str], bool] = field(default_factory=dict, compare=False, repr=False)

    def measured(self, slug: str, names: Iterable[str]) -> str:
        article = self.articles[slug]
        return ";".join(f"{name}={getattr(article, name)}" for name in sorted(names))

    def matches(self, slug: str, recorded: str) -> bool:
        if "=" not in recorded:
            return self.fingerprints.get(slug) == recorded
        key = (slug, recorded)  # most op-eds' reading times are on several pages
        if key not in self.figures_checked:
            names = [figure.partition("=")[0] for figure in recorded.split(";")]
            self.figures_checked[key] = (
                slug in self.articles
                and BODY_MEASURES.issuperset(names)
                and self.measured(slug, names) == recorded
            )
        return self.figures_checked[key]


NO_BODIES = BodyStates({}, {})


def metadata_fingerprint(site: Site) -> str:
    """Everything in the site except the op-eds' bodies (those are tracked per page, as read)."""
    return digest_text(site.sources_digest, repr(site.config))


# Where a page shows an op-ed's body untouched (splice.BodySlot), with the body's fingerprint then:
# (slug, start, end, fingerprint).
SlotRecord = tuple[str, int, int, str]


@dataclass(frozen=True)
class PageRecord:
    key: str  # digest of the generator, templates, options, site metadata and the page's own address
    bodies: dict[str, str]  # slug -> what the page read of the op-ed's body (as BodyStates.matches takes)
    size: int  # the file as the build wrote it
    mtime_ns: int
    slots: tuple[SlotRecord, ...] = ()


# A converted body's key, as parse.render_bodies makes it: path, text digest, base path, addresses.
BodyKey = tuple[str, str, str, str]
# The converted bodies are kept in this many files, by the body's digest, so that an edit rewrites one or
# two small files, not all of them (8 MB for 1,000 op-eds).
BODY_SHARDS = 64


@dataclass
class BuildCache:
    """What one build leaves for the next; both parts start empty when there is nothing usable."""

    bodies: dict[BodyKey, RenderedBody] = field(default_factory=dict)
    pages: dict[str, PageRecord] = field(default_factory=dict)
    index: IndexLayout | None = None  # of the search index the pages hold


@dataclass(frozen=True)
class IndexLayout:
    """The parts a search index was joined from: each part's key, in order, and how many documents."""

    keys: tuple[str, ...]
    documents: int


def body_shard(key: BodyKey) -> int:
    try:
        return int(key[1][:4], 16) % BODY_SHARDS
    except ValueError:
        return 0


def by_shard(keys: Iterable[BodyKey]) -> dict[int, set[BodyKey]]:
    shards: dict[int, set[BodyKey]] = {}
    for key in keys:
        shards.setdefault(body_shard(key), set()).add(key)
    return shards


def bodies_file(cache_dir: Path, shard: int) -> Path:
    return cache_dir / f"bodies-{shard:02}.bin"


def pages_file(cache_dir: Path, out: Path) -> Path:
    # Page records belong to one output folder: a build into another folder must not trust them.
    out_key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return cache_dir / f"pages-{out_key}.bin"


def read_sealed_bytes(path: Path, fingerprint: str) -> bytes | None:
    """The payload of a cache file, or None when it is missing, damaged or from other code.

    A cache file is a line of JSON naming the generator and the payload's SHA-256, then the payload.
    """
    try:
        header, _, payload = path.read_bytes().partition(b"\n")
        seal = json.loads(header)
        if seal["generator"] != fingerprint or seal["sha256"] != hashlib.sha256(payload).hexdigest():
            return None
        return payload
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_sealed(path: Path, fingerprint: str) -> Any:
    """The data a cache file holds (see read_sealed_bytes and write_sealed), or None."""
    payload = read_sealed_bytes(path, fingerprint)
    try:
        return marshal.loads(payload) if payload is not None else None
    except (EOFError, ValueError, TypeError):
        return None


def write_sealed_bytes(path: Path, fingerprint: str, data: bytes) -> None:
    """Write a cache file (see read_sealed_bytes). One that cannot be written (a full disk, a read-only
    folder) is left out: that only costs the next build time."""
    seal = {"generator": fingerprint, "sha256": hashlib.sha256(data).hexdigest()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(json.dumps(seal, sort_keys=True).encode("utf-8") + b"\n")
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def write_sealed(path: Path, fingerprint: str, payload: Any) -> None:
    """Keep ``payload`` (plain data: dicts, lists, tuples, text, numbers) in a cache file.

    It is kept in Python's marshal format, which reads several times faster than JSON (the cache is read
    whole by every build). Marshal data is trusted, like the compiled templates beside it: the seal keeps
    out damaged files, and .cache/ must never come from an untrusted source (see the README)."""
    write_sealed_bytes(path, fingerprint, marshal.dumps(payload))


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates, kept between builds (compiling them is a tenth of a rebuild after one edit).

    Sealed like every cache file; Jinja itself also compares the template's source with the one compiled,
    so an edited template is compiled again. A file that cannot be read or written only costs time.
    """

    def __init__(self, cache_dir: Path, fingerprint: str) -> None:
        self.cache_dir = cache_dir
        self.fingerprint = fingerprint

    def path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.cache_dir / f"template-{bucket.key[:32]}.bin"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = read_sealed_bytes(self.path(bucket), self.fingerprint)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        write_sealed_bytes(self.path(bucket), self.fingerprint, bucket.bytecode_to_string())


def body_to_data(body: RenderedBody) -> dict[str, Any]:
    return {
        "html": str(body.html),
        "anchors": sorted(body.anchors),
        "links": [[link.url_path, link.fragment, link.written] for link in body.links],
        "problems": [list(problem) for problem in body.problems],
        "word_count": body.word_count,
        "manifesto_marks": body.manifesto_marks,
    }


def body_from_data(data: dict[str, Any]) -> RenderedBody:
    return RenderedBody(
        html=Markup(data["html"]),
        anchors=frozenset(data["anchors"]),
        links=tuple(LinkRef(*link) for link in data["links"]),
        problems=tuple(tuple(problem) for problem in data["problems"]),  # type: ignore[misc]
        word_count=int(data["word_count"]),
        manifesto_marks=tuple(data["manifesto_marks"]),
    )


def load_bodies(cache_dir: Path, fingerprint: str) -> dict[BodyKey, RenderedBody]:
    """The converted bodies kept by the last build; a damaged file loses only its own."""
    bodies: dict[BodyKey, RenderedBody] = {}
    for shard in range(BODY_SHARDS):
        listed = read_sealed(bodies_file(cache_dir, shard), fingerprint)
        try:
            bodies |= {tuple(item["key"]): body_from_data(item["body"]) for item in listed or ()}  # type: ignore[misc]
        except (KeyError, TypeError, ValueError):
            continue
    return bodies


def load_cache(cache_dir: Path, out: Path, fingerprint: str) -> BuildCache:
    cache = BuildCache(bodies=load_bodies(cache_dir, fingerprint))
    kept = read_sealed(pages_file(cache_dir, out), fingerprint)
    try:
        if kept is not None:
            cache.pages = {path: PageRecord(**record) for path, record in kept["pages"].items()}
            if kept["index"] is not None:
                cache.index = IndexLayout(
                    tuple(map(str, kept["index"]["keys"])), int(kept["index"]["documents"])
                )
    except (KeyError, TypeError, ValueError):
        cache.pages, cache.index = {}, None
    return cache


def save_bodies(
    cache_dir: Path, fingerprint: str, bodies: dict[BodyKey, RenderedBody], kept: set[BodyKey]
) -> None:
    """Keep the converted bodies for the next build (they do not depend on the output folder), rewriting
    only the files whose bodies differ from ``kept``, those the last build kept (a key names its body)."""
    now, before = by_shard(bodies), by_shard(kept)
    for shard in sorted(now.keys() | before.keys()):
        keys = now.get(shard, set())
        if keys != before.get(shard, set()):
            listed = [{"key": list(key), "body": body_to_data(bodies[key])} for key in sorted(keys)]
            write_sealed(bodies_file(cache_dir, shard), fingerprint, listed)


def save_pages(
    cache_dir: Path, out: Path, fingerprint: str, pages: dict[str, PageRecord], index: IndexLayout | None
) -> None:
    """Keep the record of each page written into ``out``, and the layout of its search index, for the
    next build into it."""
    records = {
        path: {
            "key": record.key,
            "bodies": record.bodies,
            "size": record.size,
            "mtime_ns": record.mtime_ns,
            "slots": record.slots,
        }
        for path, record in pages.items()
    }
    layout = None if index is None else {"keys": list(index.keys), "documents": index.documents}
    write_sealed(pages_file(cache_dir, out), fingerprint, {"pages": records, "index": layout})


def front_matter_file(cache_dir: Path) -> Path:
    return cache_dir / "front-matter.bin"


def value_to_data(value: Any) -> Any:
    """A checked front matter value (text, number, yes/no, date, list, record) as plain data."""
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return [value_to_data(item) for item in value]
    if isinstance(value, dict):
        return {key: value_to_data(item) for key, item in value.items()}
    if isinstance(value, str | int):  # bool is an int
        return value
    raise TypeError(f"a front matter value of an unexpected type: {value!r}")


def value_from_data(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value_from_data(item) for item in value)
    if isinstance(value, dict):
        if set(value) == {"$date"}:  # no field is called that: every key was checked
            return datetime.date.fromisoformat(value["$date"])
        return {key: value_from_data(item) for key, item in value.items()}
    return value


def save_front_matter(cache_dir: Path, fingerprint: str, entries: EntryCache) -> None:
    """Keep each content file's checked front matter for the next build."""
    payload = {
        key: {
            "slug": front_matter.slug,
            "values": value_to_data(front_matter.values),
            "field_lines": front_matter.field_lines,
            "first_line": front_matter.first_line,
        }
        for key, front_matter in entries.items()
    }
    write_sealed(front_matter_file(cache_dir), fingerprint, payload)


def load_front_matter(cache_dir: Path, fingerprint: str) -> EntryCache:
    """The front matter the last build kept, by front_matter_key (nothing if it is missing or damaged)."""
    payload = read_sealed(front_matter_file(cache_dir), fingerprint)
    try:
        return {
            key: FrontMatter(
                str(item["slug"]),
                value_from_data(item["values"]),
                {str(name): int(line) for name, line in item["field_lines"].items()},
                int(item["first_line"]),
            )
            for key, item in (payload or {}).items()
        }
    except (AttributeError, KeyError, TypeError, ValueError):
        return {}


def sources_file(cache_dir: Path) -> Path:
    return cache_dir / "sources.bin"


def save_known_sources(cache_dir: Path, fingerprint: str, known: KnownSources) -> None:
    """Keep what this build made of each content file, with the file's stamp, for the next build."""
    payload = {
        path: (*record.stamp, record.front_matter_key, record.body_digest, record.body_first_line)
        for path, record in known.items()
    }
    write_sealed(sources_file(cache_dir), fingerprint, payload)


def load_known_sources(cache_dir: Path, fingerprint: str) -> KnownSources:
    """What the last build made of each content file (nothing if it is missing or damaged)."""
    payload = read_sealed(sources_file(cache_dir), fingerprint)
    try:
        return {
            str(path): KnownSource(
                tuple(int(number) for number in item[:5]),  # type: ignore[arg-type]
                str(item[5]),
                str(item[6]),
                int(item[7]),
            )
            for path, item in (payload or {}).items()
        }
    except (AttributeError, IndexError, TypeError, ValueError):
        return {}


def index_part_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"index-{key[:32]}.bin"


def save_index_part(cache_dir: Path, fingerprint: str, key: str, part: IndexPart) -> None:
    """Keep one part of the search index, by the digest of its documents."""
    postings = part.postings
    payload = {
        "key": key,
        "listing": part.listing,
        "by_term": postings.by_term,
        "last_seen": postings.last_seen,
        "documents": postings.documents,
    }
    write_sealed(index_part_file(cache_dir, key), fingerprint, payload)


def load_index_part(cache_dir: Path, fingerprint: str, key: str) -> IndexPart | None:
    """The part of the search index kept for documents whose digest is ``key``, if any is."""
    data = read_sealed(index_part_file(cache_dir, key), fingerprint)
    try:
        if data is None or data["key"] != key:
            return None
        postings = Postings(dict(data["by_term"]), dict(data["last_seen"]), int(data["documents"]))
        return IndexPart(list(data["listing"]), postings)
    except (KeyError, TypeError, ValueError):
        return None


def prune_cache(cache_dir: Path, index_keys: set[str]) -> None:
    """Delete the kept index parts of documents that are no longer the site's, and the files of earlier
    cache formats (every cache file was JSON before format 2), which no build reads any more."""
    wanted = {index_part_file(cache_dir, key).name for key in index_keys}
    with contextlib.suppress(OSError):
        for kept in cache_dir.glob("index-*.bin"):
            if kept.name not in wanted:
                kept.unlink(missing_ok=True)
        for obsolete in cache_dir.glob("*.json"):
            obsolete.unlink(missing_ok=True)


def stale_slots(
    record: PageRecord | None, key: str, bodies: BodyStates, present: OutputListing, output_path: str
) -> tuple[SlotRecord, ...] | None:
    """The slots of the page the last build wrote that show op-eds whose bodies changed since, when
    nothing else the page was made from did, and the output folder still holds the very file it wrote (a
    symbolic link put in its place is never taken): () if the page stands as it is. None when the page
    must be rendered again."""
    if record is None or record.key != key:
        return None
    if not all(bodies.matches(slug, recorded) for slug, recorded in record.bodies.items()):
        return None
    if present.files.get(output_path) != (record.size, record.mtime_ns):
        return None
    return tuple(slot for slot in record.slots if bodies.fingerprints.get(slot[0]) != slot[3])


def reusable(
    record: PageRecord | None, key: str, bodies: BodyStates, present: OutputListing, output_path: str
) -> bool:
    """Whether the page the last build wrote can stand for this one as it is (see stale_slots)."""
    return stale_slots(record, key, bodies, present, output_path) == ()
