"""Site search: the /search/ page and a word index of the op-eds, chapters and plain pages.

The index is static files, read by ``templates/assets/search.js`` in the reader's browser:

- ``search/data/documents.json``: ``{"documents": [[site path, title, byline, words], ...]}``, one entry
  per indexed page in address order (site paths without the base path, so the index does not depend on
  it); a document's number is its place in this list.
- ``search/data/terms/<hex>.json``: ``{term: [gap, count, gap, count, ...]}`` for every term whose first
  two characters, UTF-8 encoded, are ``<hex>``: the documents holding the term, ascending, each given as
  the gap from the previous one (the first from 0), with how often the term occurs there. A query word
  of two or more characters needs one such file, so the browser fetches only a few kilobytes per word.
- ``search/data/text/<address>.txt``: the document's words, from which the browser cuts the excerpt.

Terms are the runs of letters and digits of the text after compatibility decomposition, with accents
dropped and in lower case; ``search.js`` splits a query the same way. Title words count several times,
so that a page about a word ranks above one that mentions it.

Unlike a generic indexer that reads the built HTML, the index is made from the content model, so it
costs a fraction of the build, and its input (``SearchDocument``) is cheap to compare between builds.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from .model import Site
from .render import PageJob, RecordingEnvironment, render_page

SEARCH_PAGE = PageJob("search/index.html", "/search/", "search.html", {})
BUNDLE_FOLDER = "search/data"
TEXT_FOLDER = f"{BUNDLE_FOLDER}/text"  # one file per document; the rest of the bundle lists them all
DOCUMENTS_FILE = f"{BUNDLE_FOLDER}/documents.json"
TITLE_WEIGHT = 5  # a title word counts as this many words of text
SHARD_PREFIX = 2  # characters of a term that name its shard

TERM = re.compile(r"[^\W_]+")
NON_ASCII = re.compile(r"[^\x00-\x7f]")
BLOCK_TAG = re.compile(
    r"</?(?:p|h[1-6]|li|ul|ol|blockquote|div|section|pre|table|tr|td|th|dt|dd|hr|br)\b[^>]*>"
)
ANY_TAG = re.compile(r"<[^>]*>")
FOOTNOTE_MARKS = re.compile(r"<(?:sup|a) [^>]*class=\"footnote-(?:ref|backref)\"[^>]*>.*?</(?:sup|a)>")


@dataclass(frozen=True)
class SearchDocument:
    url_path: str  # the page's site path, without the base path
    title: str
    byline: str  # shown under the title in the results: what kind of page, by whom, in which chapter
    parts: tuple[str, ...]  # its searchable text: plain strings, and Markup whose tags are dropped
    # A digest that names ``parts`` (an op-ed's body fingerprint), so that documents_digest need not hash
    # them; "" when there is none.
    parts_digest: str = ""

    @property
    def text(self) -> str:
        """The searchable words, one paragraph a line."""
        return "\n".join(plain_text(part) if isinstance(part, Markup) else part for part in self.parts)


def plain_text(body_html: str) -> str:
    """The words of a rendered body, one block a line, without footnote markers."""
    marked = BLOCK_TAG.sub("\0", FOOTNOTE_MARKS.sub("", body_html.replace("\0", "")))  # NUL: a block ends
    blocks = html.unescape(ANY_TAG.sub("", marked)).split("\0")
    # Within a block, any run of blanks (a line break in a paragraph included) is one space.
    return "\n".join(filter(None, (" ".join(block.split()) for block in blocks)))


def documents_of(site: Site, body_fingerprints: dict[str, str] | None = None) -> list[SearchDocument]:
    """What search covers: each op-ed's text, each chapter's summary, intro and proposals, each page.

    Not the home page, lists, author pages or the one-page manifesto, which only repeat these words.
    ``body_fingerprints`` (by slug; see cache.body_fingerprints) name the op-eds' bodies, if given.
    """
    fingerprints = body_fingerprints or {}
    documents = [
        SearchDocument(
            article.url_path,
            article.title,
            f"Op-ed by {article.author} · chapter: {site.chapter(article.chapter).title}",
            (article.body_html,),
            fingerprints.get(article.slug, ""),
        )
        for article in site.articles
    ]
    documents += [
        SearchDocument(
            chapter.url_path,
            chapter.title,
            "Chapter and its proposals",
            (chapter.summary, chapter.intro_html, *(proposal.text for proposal in chapter.proposals)),
        )
        for chapter in site.chapters
    ]
    documents += [
        SearchDocument(page.url_path, page.title, "Page", (page.summary, page.body_html))
        for page in site.pages
    ]
    return sorted(documents, key=lambda document: document.url_path)


def fold(text: str) -> str:
    """Text as the index compares it: compatibility forms, no accents, lower case (as search.js does)."""
    decomposed = unicodedata.normalize("NFKD", text)
    if not decomposed.isascii():
        decomposed = NON_ASCII.sub(
            lambda found: "" if unicodedata.category(found[0]).startswith("M") else found[0], decomposed
        )
    return decomposed.lower()


def terms_of(text: str) -> list[str]:
    return TERM.findall(fold(text))


def term_counts(title: str, text: str) -> tuple[Counter[str], int]:
    """How often each term occurs (title words weighted), and the text's length in words."""
    counts = Counter(terms_of(text))
    words = sum(counts.values())
    for term in terms_of(title):
        counts[term] += TITLE_WEIGHT
    return counts, words


def shard_name(term: str) -> str:
    return term[:SHARD_PREFIX].encode("utf-8").hex()


def text_path(url_path: str) -> str:
    return f"{TEXT_FOLDER}/{url_path.strip('/')}.txt"


def to_json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass
class Postings:
    """Which documents hold each term, built one document at a time (only the postings stay in memory)."""

    by_term: dict[str, list[int]] = field(default_factory=dict)  # term -> [gap, count, gap, count, ...]
    last_seen: dict[str, int] = field(default_factory=dict)  # term -> the last document number added
    documents: int = 0

    def add(self, counts: Counter[str]) -> None:
        number, by_term, last_seen = self.documents, self.by_term, self.last_seen  # the hottest loop
        for term, count in counts.items():
            postings = by_term.get(term)
            if postings is None:
                by_term[term] = [number, count]
            else:
                postings += (number - last_seen[term], count)
            last_seen[term] = number
        self.documents += 1

    def extend(self, later: Postings) -> None:
        """Add the documents of ``later`` (numbered from 0 there) after this one's."""
        offset = self.documents
        for term, postings in later.by_term.items():
            first = offset + postings[0]
            previous = self.last_seen.get(term)
            gap = first if previous is None else first - previous
            self.by_term.setdefault(term, []).extend((gap, *postings[1:]))
            self.last_seen[term] = offset + later.last_seen[term]
        self.documents += later.documents

    def shards(self) -> dict[str, dict[str, list[int]]]:
        """{shard name: {term: [gap, count, ...]}}, terms in sorted order."""
        shards: dict[str, dict[str, list[int]]] = {}
        for term in sorted(self.by_term):
            shards.setdefault(shard_name(term), {})[term] = self.by_term[term]
        return shards


@dataclass
class IndexPart:
    """The index of a run of consecutive documents, numbered from 0 within the run: parts of a large
    site are made in several processes, then joined in order (``index_bundle``)."""

    listing: list[list[object]] = field(default_factory=list)  # [site path, title, byline, words]
    postings: Postings = field(default_factory=Postings)


def index_part(documents: Sequence[SearchDocument]) -> tuple[IndexPart, dict[str, bytes]]:
    """The index of ``documents``, and their text files ({output path: bytes})."""
    part = IndexPart()
    texts = {}
    for document in documents:
        text = document.text
        counts, words = term_counts(document.title, text)
        part.postings.add(counts)
        part.listing.append([document.url_path, document.title, document.byline, words])
        texts[text_path(document.url_path)] = text.encode("utf-8")
    return part, texts


def index_bundle(parts: Sequence[IndexPart]) -> dict[str, bytes]:
    """documents.json and the term files of the documents of ``parts``, joined in their order."""
    postings = Postings()
    listing: list[list[object]] = []
    for part in parts:
        postings.extend(part.postings)
        listing += part.listing
    files = {DOCUMENTS_FILE: to_json({"documents": listing})}
    for name, shard in postings.shards().items():
        files[term_file(name)] = to_json(shard)
    return files


def term_file(shard: str) -> str:
    return f"{BUNDLE_FOLDER}/terms/{shard}.json"


def numbered(postings: Sequence[int], first: int = 0) -> list[tuple[int, int]]:
    """[gap, count, gap, count, ...] as (document number, count) pairs, numbering from ``first``."""
    pairs = []
    number = first
    for place in range(0, len(postings), 2):
        number += postings[place]
        pairs.append((number, postings[place + 1]))
    return pairs


def as_gaps(pairs: Sequence[tuple[int, int]]) -> list[int]:
    """(document number, count) pairs, ascending, as [gap, count, gap, count, ...]."""
    postings: list[int] = []
    previous = 0
    for number, count in pairs:
        postings += (number - previous, count)
        previous = number
    return postings


@dataclass(frozen=True)
class ReplacedPart:
    """A part of an index made again, holding as many documents as the one it replaces."""

    start: int  # the number of its first document
    old: IndexPart
    new: IndexPart


def changed_terms(old: Postings, new: Postings) -> set[str]:
    """The terms whose postings differ between two indexes of the same documents' places."""
    return {
        term
        for term in old.by_term.keys() | new.by_term.keys()
        if old.by_term.get(term) != new.by_term.get(term)
    }


def spliced_bundle(
    old_file: Callable[[str], bytes | None], replaced: Sequence[ReplacedPart]
) -> dict[str, bytes | None]:
    """The files of a bundle (``index_bundle``'s) that change when the parts ``replaced`` take their old
    parts' places, each as many documents as before: their new bytes, or None for a file the new bundle
    does not have. ``old_file`` reads a file of the old bundle (None when it had no such file).

    The same bytes as joining every part again, from the few term files whose terms an edit touched:
    a term's postings are its postings in each part, in order, so only the changed terms' change."""
    listing = json.loads(old_file(DOCUMENTS_FILE) or b"")["documents"]
    for part in replaced:
        listing[part.start : part.start + len(part.new.listing)] = part.new.listing
    files: dict[str, bytes | None] = {DOCUMENTS_FILE: to_json({"documents": listing})}
    terms_by_shard: dict[str, set[str]] = {}
    for part in replaced:
        for term in changed_terms(part.old.postings, part.new.postings):
            terms_by_shard.setdefault(shard_name(term), set()).add(term)
    for name, terms in sorted(terms_by_shard.items()):
        old = old_file(term_file(name))
        shard: dict[str, list[int]] = json.loads(old) if old is not None else {}
        for term in terms:
            pairs = [
                (number, count)
                for number, count in numbered(shard.get(term, ()))
                if not any(
                    part.start <= number < part.start + part.new.postings.documents for part in replaced
                )
            ]
            for part in replaced:
                pairs += numbered(part.new.postings.by_term.get(term, ()), part.start)
            if pairs:
                shard[term] = as_gaps(sorted(pairs))
            else:
                shard.pop(term, None)
        files[term_file(name)] = to_json(shard) if shard else None
    return files


def index_files(documents: list[SearchDocument]) -> dict[str, bytes]:
    """The index of ``documents`` (in address order), as {output path: bytes}."""
    part, texts = index_part(documents)
    return dict(sorted((texts | index_bundle([part])).items()))


def documents_digest(documents: list[SearchDocument]) -> str:
    """Changes whenever anything the index holds does, so an unchanged index can be kept (cheaply:
    from the documents' parts, before any text is extracted)."""
    digest = hashlib.sha256()
    for document in documents:
        named = (document.parts_digest,) if document.parts_digest else document.parts
        for part in (document.url_path, document.title, document.byline, *named):
            encoded = part.encode()
            digest.update(f"{len(encoded)}:{type(part).__name__}:".encode() + encoded)
    return digest.hexdigest()


def search_page(env: RecordingEnvironment, templates_dir: Path, root: Path) -> dict[str, bytes]:
    return {SEARCH_PAGE.output_path: render_page(env, SEARCH_PAGE, templates_dir, root).data}


def search_files(env: RecordingEnvironment, site: Site, templates_dir: Path, root: Path) -> dict[str, bytes]:
    """The search page and the index of the site's searchable pages."""
    return index_files(documents_of(site)) | search_page(env, templates_dir, root)
