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

import gettext
import hashlib
import html
import json
import marshal
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from .model import Site

BUNDLE_FOLDER = "search/data"
TEXT_FOLDER = f"{BUNDLE_FOLDER}/text"  # one file per document; the rest of the bundle lists them all
DOCUMENTS_FILE = f"{BUNDLE_FOLDER}/documents.json"
TITLE_WEIGHT = 5  # a title word counts as this many words of text
SHARD_PREFIX = 2  # characters of a term that name its shard
INDEX_DOCUMENTS_A_PART = 50  # documents in one part of the index (indexed, and memoised, on its own)

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
    # A digest that names ``parts`` (an op-ed's body_key), so that documents_digest need not hash them;
    # "" when there is none.
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


def documents_of(site: Site, translations: gettext.NullTranslations) -> list[SearchDocument]:
    """What search covers: each op-ed's text, each chapter's summary, intro and proposals, each page.

    Not the home page, lists, author pages or the one-page manifesto, which only repeat these words.
    Each result's line under its title is in the site's language (``translations``). In a language
    other than the default, only what is translated into it: a query searches the reader's language.
    """
    _ = translations.gettext
    own = site.in_own_language if site.config.language_prefix else (lambda item: True)
    documents = [
        SearchDocument(
            article.url_path,
            article.title,
            _("Op-ed by %(author)s · chapter: %(chapter)s")
            % {"author": article.author, "chapter": site.chapter(article.chapter).title},
            (article.body_html,),
            article.body_key,
        )
        for article in site.articles
        if own(article)
    ]
    documents += [
        SearchDocument(
            chapter.url_path,
            chapter.title,
            _("Chapter and its proposals"),
            (chapter.summary, chapter.intro_html, *(proposal.text for proposal in chapter.proposals)),
        )
        for chapter in site.chapters
        if own(chapter)
    ]
    documents += [
        SearchDocument(page.url_path, page.title, _("Page"), (page.summary, page.body_html))
        for page in site.pages
        if own(page)
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


@dataclass
class IndexPart:
    """The index of a run of consecutive documents, numbered from 0 within the run: parts of a large
    site are made in several processes, and memoised by their documents (documents_digest); the files
    that list every document are joined from them, term file by term file (``bundle_file``).

    Each shard's postings are kept encoded (marshal), and decoded only when its term file is joined
    again: at 10,000 op-eds, decoding every part's postings whenever one changed took 0.6 s."""

    documents: int = 0
    listing: list[list[object]] = field(default_factory=list)  # [site path, title, byline, words]
    shard_digests: dict[str, str] = field(default_factory=dict)  # shard -> digest of its postings here
    # shard -> marshal of (its terms here, sorted; their postings; the last document of each)
    shard_postings: dict[str, bytes] = field(default_factory=dict)


def index_part(documents: Sequence[SearchDocument]) -> tuple[IndexPart, dict[str, bytes]]:
    """The index of ``documents``, and their text files ({output path: bytes})."""
    postings = Postings()
    part = IndexPart(documents=len(documents))
    texts = {}
    for document in documents:
        text = document.text
        counts, words = term_counts(document.title, text)
        postings.add(counts)
        part.listing.append([document.url_path, document.title, document.byline, words])
        texts[text_path(document.url_path)] = text.encode("utf-8")
    shard_terms: dict[str, list[str]] = {}
    for term in sorted(postings.by_term):
        shard_terms.setdefault(shard_name(term), []).append(term)
    for shard, terms in shard_terms.items():
        lists = [postings.by_term[term] for term in terms]
        part.shard_digests[shard] = hashlib.sha256(repr((terms, lists)).encode("utf-8")).hexdigest()
        last = [postings.last_seen[term] for term in terms]
        part.shard_postings[shard] = marshal.dumps((terms, lists, last))
    return part, texts


def is_bundle_file(path: str) -> bool:
    """Whether ``path`` is one of the files that list every document (not a document's text file), of
    the index of any language (cy/search/data/…)."""
    start = path.find(f"{BUNDLE_FOLDER}/")
    return start in (0, path.find("/") + 1) and not path[start:].startswith(f"{TEXT_FOLDER}/")


def term_file(shard: str) -> str:
    return f"{BUNDLE_FOLDER}/terms/{shard}.json"


def bundle_keys(parts: Sequence[IndexPart], part_keys: Sequence[str]) -> dict[str, str]:
    """Each file listing every document (documents.json, the term files), with a digest of what it is
    made from: documents.json, of the parts' documents; a term file, of its terms' postings in each
    part and the parts' sizes (a document's number is its place in the whole list). After an edit, only
    the files of the terms whose postings changed have a new key."""
    sizes = [str(part.documents) for part in parts]
    keys = {DOCUMENTS_FILE: hashlib.sha256("\0".join(part_keys).encode()).hexdigest()}
    for shard in sorted({shard for part in parts for shard in part.shard_digests}):
        named = (
            f"{size}:{part.shard_digests.get(shard, '')}" for size, part in zip(sizes, parts, strict=True)
        )
        keys[term_file(shard)] = hashlib.sha256(f"{shard}\0{'|'.join(named)}".encode()).hexdigest()
    return keys


def bundle_file(path: str, parts: Sequence[IndexPart]) -> bytes:
    """One file of ``bundle_keys``, joined from the parts in order."""
    if path == DOCUMENTS_FILE:
        return to_json({"documents": [entry for part in parts for entry in part.listing]})
    shard = path.removeprefix(f"{BUNDLE_FOLDER}/terms/").removesuffix(".json")
    merged: dict[str, list[int]] = {}
    last_seen: dict[str, int] = {}
    offset = 0
    for part in parts:
        encoded = part.shard_postings.get(shard)
        if encoded is not None:
            terms, lists, last = marshal.loads(encoded)
            for term, postings, seen in zip(terms, lists, last, strict=True):
                first = offset + postings[0]
                previous = last_seen.get(term)
                merged.setdefault(term, []).extend(
                    (first if previous is None else first - previous, *postings[1:])
                )
                last_seen[term] = offset + seen
        offset += part.documents
    return to_json(merged)


def index_bundle(parts: Sequence[IndexPart]) -> dict[str, bytes]:
    """documents.json and the term files of the documents of ``parts``, joined in their order."""
    return {path: bundle_file(path, parts) for path in bundle_keys(parts, [""] * len(parts))}


def index_files(documents: list[SearchDocument]) -> dict[str, bytes]:
    """The index of ``documents`` (in address order), as {output path: bytes}."""
    part, texts = index_part(documents)
    return dict(sorted((texts | index_bundle([part])).items()))


def documents_digest(documents: Sequence[SearchDocument]) -> str:
    """Changes whenever anything the index holds does, so an unchanged index can be kept (cheaply:
    from the documents' parts, before any text is extracted)."""
    digest = hashlib.sha256()
    for document in documents:
        named = (document.parts_digest,) if document.parts_digest else document.parts
        for part in (document.url_path, document.title, document.byline, *named):
            encoded = part.encode()
            digest.update(f"{len(encoded)}:{type(part).__name__}:".encode() + encoded)
    return digest.hexdigest()


@dataclass(frozen=True)
class IndexRun:
    """A part of the search index: ``documents``, and the text files it writes."""

    key: str  # search.documents_digest of its documents
    documents: list[SearchDocument]
    texts: tuple[str, ...]  # output paths, ``prefix`` included
    prefix: str = ""  # "cy/": the index of the site in another language, under its folder


def index_runs(documents: list[SearchDocument], prefix: str = "") -> list[IndexRun]:
    runs = []
    for start in range(0, len(documents), INDEX_DOCUMENTS_A_PART):
        part = documents[start : start + INDEX_DOCUMENTS_A_PART]
        texts = tuple(prefix + text_path(doc.url_path) for doc in part)
        runs.append(IndexRun(documents_digest(part), part, texts, prefix))
    return runs
