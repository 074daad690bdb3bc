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
    source_path: Path

    @property
    def url_path(self) -> str:
        return f"/articles/{self.slug}/"

    @property
    def reading_minutes(self) -> int:
        # 200 words a minute is a common, conservative figure for reading prose on screen.
        return max(1, round(self.word_count / 200))


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
class Site:
    config: SiteConfig
    chapters: tuple[Chapter, ...]  # by (order, slug)
    articles: tuple[Article, ...]  # by (chapter order, article order, title, slug)
    pages: tuple[Page, ...]  # by slug
    authors: tuple[Author, ...]  # by slug
    _by_slug: dict[str, Article] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_slug.update((article.slug, article) for article in self.articles)

    def article(self, slug: str) -> Article:
        return self._by_slug[slug]

    def chapter(self, slug: str) -> Chapter:
        return next(chapter for chapter in self.chapters if chapter.slug == slug)

    def articles_in(self, chapter: Chapter) -> tuple[Article, ...]:
        """The chapter's own op-eds, in reading order."""
        return tuple(article for article in self.articles if article.chapter == chapter.slug)

    def related_to(self, chapter: Chapter) -> tuple[Article, ...]:
        """Op-eds filed under another chapter that also speak to this one."""
        return tuple(article for article in self.articles if chapter.slug in article.chapters)

    def articles_by(self, author: Author) -> tuple[Article, ...]:
        return tuple(self.article(slug) for slug in author.article_slugs)
