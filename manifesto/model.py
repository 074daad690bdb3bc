"""The content model: what a site is made of, as frozen records sorted when built."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup


@dataclass(frozen=True)
class Link:
    label: str
    url: str  # an absolute URL, or a site path such as "/about/" (the base path is added when rendered)


@dataclass(frozen=True)
class Imprint:
    """UK digital-imprint details, shown on every page."""

    promoter: str
    address: str
    on_behalf_of: str = ""
    printer: str = ""  # printed material (the PDFs) must also name its printer, with the address
    printer_address: str = ""


@dataclass(frozen=True)
class ListedFormat:
    """A format the campaign makes itself (Easy Read, audio, BSL video), as site.yaml lists it."""

    label: str
    kind: str  # one of parse.FORMAT_KINDS
    language: str
    file: str  # a file in content/formats/, or ""
    url: str  # an address elsewhere, or ""
    line: int  # in site.yaml


@dataclass(frozen=True)
class Format:
    """A format of the platform as the "Other formats" page lists it: made by the build or the campaign."""

    label: str
    kind: str
    type_name: str  # "PDF", "EPUB", "MP3 audio"
    media_type: str
    language: str
    url_path: str  # a site path ("/manifesto.epub") or an absolute address
    size: int | None  # in bytes; None for a file elsewhere

    @property
    def size_text(self) -> str:
        """'1.2 MB', '340 KB': decimal units, as file managers and browsers show them."""
        if self.size is None:
            return ""
        if self.size >= 1_000_000:
            return f"{self.size / 1_000_000:.1f} MB"
        return f"{max(1, round(self.size / 1000))} KB"


@dataclass(frozen=True)
class SiteConfig:
    title: str
    tagline: str
    description: str
    language: str
    base_url: str  # absolute, no trailing slash: "https://example.org/platform"
    imprint: Imprint
    calls_to_action: tuple[Link, ...]
    nav: tuple[Link, ...]
    formats: tuple[ListedFormat, ...] = ()


@dataclass(frozen=True)
class Proposal:
    text: str
    article_slug: str
    anchor: str


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: str
    order: int
    summary: str
    proposals: tuple[Proposal, ...]
    intro_html: Markup
    source_path: Path
    draft: bool = False

    @property
    def url_path(self) -> str:
        return f"/chapters/{self.slug}/"


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    author: str
    author_slug: str
    bio: str
    social: tuple[str, ...]
    date: datetime.date | None
    chapter: str
    chapters: tuple[str, ...]
    summary: str
    photo_credit: str
    draft: bool
    order: int
    body_html: Markup
    anchors: frozenset[str]
    word_count: int
    manifesto_marks: tuple[int, ...]  # where the manifesto edits body_html (body.manifesto_marks)
    source_path: Path
    body_key: str = ""  # names everything the body was made from (parse.render_bodies)

    @property
    def url_path(self) -> str:
        return f"/articles/{self.slug}/"

    @property
    def reading_minutes(self) -> int:
        # 200 words a minute is a common, conservative figure for reading prose on screen.
        return max(1, round(self.word_count / 200))


# What of an op-ed its Markdown body decides: the text itself, and the figures measured from it. A page
# that reads only figures changes with the figures, not with every edit of the text (a byline's reading time
# stays when a sentence is added).
BODY_TEXT = frozenset({"body_html", "anchors", "manifesto_marks", "body_key"})
BODY_MEASURES = frozenset({"word_count", "reading_minutes"})


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    body_html: Markup
    source_path: Path
    draft: bool = False

    @property
    def url_path(self) -> str:
        return f"/{self.slug}/"


@dataclass(frozen=True)
class Author:
    slug: str
    name: str
    bio: str
    social: tuple[str, ...]
    article_slugs: tuple[str, ...]

    @property
    def url_path(self) -> str:
        return f"/authors/{self.slug}/"


@dataclass(frozen=True)
class SiteIndex:
    """Look-ups built once per site, so that templates never scan every article per page."""

    by_slug: dict[str, Article]
    chapters_by_slug: dict[str, Chapter]
    in_chapter: dict[str, tuple[Article, ...]]
    related: dict[str, tuple[Article, ...]]


def index_site(chapters: tuple[Chapter, ...], articles: tuple[Article, ...]) -> SiteIndex:
    in_chapter: dict[str, list[Article]] = {chapter.slug: [] for chapter in chapters}
    related: dict[str, list[Article]] = {chapter.slug: [] for chapter in chapters}
    for article in articles:
        in_chapter[article.chapter].append(article)
        for slug in article.chapters:
            related[slug].append(article)
    return SiteIndex(
        by_slug={article.slug: article for article in articles},
        chapters_by_slug={chapter.slug: chapter for chapter in chapters},
        in_chapter={slug: tuple(found) for slug, found in in_chapter.items()},
        related={slug: tuple(found) for slug, found in related.items()},
    )


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    chapters: tuple[Chapter, ...]  # by (order, slug)
    articles: tuple[Article, ...]  # by (chapter order, article order, title, slug)
    pages: tuple[Page, ...]  # by slug
    authors: tuple[Author, ...]  # by slug
    # parse.sources_digest: names all of the above but the op-eds' bodies (and site.yaml's base_url,
    # which a build may replace: see config)
    sources_digest: str = field(repr=False)
    formats: tuple[Format, ...] = ()  # the campaign's own (site.yaml's formats), in site.yaml's order
    index: SiteIndex = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", index_site(self.chapters, self.articles))

    def article(self, slug: str) -> Article:
        return self.index.by_slug[slug]

    def chapter(self, slug: str) -> Chapter:
        return self.index.chapters_by_slug[slug]

    def articles_in(self, chapter: Chapter) -> tuple[Article, ...]:
        """The chapter's own op-eds, in reading order."""
        return self.index.in_chapter[chapter.slug]

    def related_to(self, chapter: Chapter) -> tuple[Article, ...]:
        """Op-eds filed under another chapter that also speak to this one."""
        return self.index.related[chapter.slug]

    def articles_by(self, author: Author) -> tuple[Article, ...]:
        return tuple(self.article(slug) for slug in author.article_slugs)
