"""The site model to pages: one Jinja environment, every page rendered in memory, in a fixed order."""

from __future__ import annotations

import datetime
import hashlib
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from .errors import BuildError
from .load import Asset
from .model import Article, Site

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
FEED_PATH = "/feed.xml"


@dataclass(frozen=True)
class RenderOptions:
    base_path: str = ""  # "" or "/repo-name": prefixed to every internal link
    drafts: bool = False  # shown in the preview, marked as drafts
    updated: datetime.datetime | None = None  # the feed's time when no op-ed has a date (SOURCE_DATE_EPOCH)
    base_url: str | None = None  # replaces site.yaml's base_url (GitHub Pages tells the workflow its address)


@dataclass(frozen=True)
class PageJob:
    """One output file: where it goes, which template draws it, and what the template is given."""

    output_path: str  # "articles/x/index.html"
    url_path: str  # "/articles/x/"
    template: str
    context: dict[str, Any]


def date_text(value: datetime.date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def make_env(
    templates_dir: Path, site: Site, assets: tuple[Asset, ...], options: RenderOptions
) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir.resolve()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    versions = {asset.url_path: fingerprint(asset.data) for asset in assets}

    def href(url_path: str) -> str:
        return (
            url_path
            if url_path.startswith(("http://", "https://", "mailto:"))
            else options.base_path + url_path
        )

    def asset_href(url_path: str) -> str:
        # The version query changes whenever the file does, so browsers never show a stale stylesheet.
        return (
            f"{options.base_path}{url_path}?v={versions[url_path]}"
            if url_path in versions
            else href(url_path)
        )

    env.filters.update(
        href=href,
        absolute=lambda url_path: site.config.base_url + url_path,
        date_text=date_text,
        urlquote=lambda text: quote(str(text), safe=""),
    )
    env.globals.update(
        site=site,
        asset=asset_href,
        has_asset=lambda url_path: url_path in versions,
        drafts_shown=options.drafts,
        feed_path=FEED_PATH,
    )
    return env


def prefix_ids(body_html: Markup, prefix: str) -> Markup:
    """Make a body's ids unique on a page that shows several bodies (the manifesto)."""
    html = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', str(body_html))
    html = re.sub(r'\bhref="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', html)
    return Markup(html)


def shift_headings(body_html: Markup, levels: int) -> Markup:
    """Nest a body's headings under the page's own (h2 becomes h4 when shifted by 2)."""

    def shifted(match: re.Match[str]) -> str:
        return f"<{match.group(1)}h{min(6, int(match.group(2)) + levels)}"

    return Markup(re.sub(r"<(/?)h([1-6])", shifted, str(body_html)))


def neighbours(site: Site, article: Article) -> tuple[Article | None, Article | None]:
    siblings = site.articles_in(site.chapter(article.chapter))
    index = siblings.index(article)
    previous = siblings[index - 1] if index > 0 else None
    following = siblings[index + 1] if index + 1 < len(siblings) else None
    return previous, following


def feed_updated(site: Site, options: RenderOptions) -> datetime.datetime:
    dates = [article.date for article in site.articles if article.date]
    if dates:
        latest = max(dates)
        return datetime.datetime(latest.year, latest.month, latest.day, tzinfo=datetime.UTC)
    return options.updated or datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def manifesto_bodies(site: Site) -> dict[str, Markup]:
    return {
        article.slug: shift_headings(prefix_ids(article.body_html, f"{article.slug}--"), 2)
        for article in site.articles
    }


def plan_pages(site: Site, options: RenderOptions) -> Iterator[PageJob]:
    """Every page of the site, in a fixed order."""
    yield PageJob("index.html", "/", "home.html", {})
    yield PageJob("chapters/index.html", "/chapters/", "chapters.html", {})
    for chapter in site.chapters:
        yield PageJob(
            f"chapters/{chapter.slug}/index.html", chapter.url_path, "chapter.html", {"chapter": chapter}
        )
    for article in site.articles:
        previous, following = neighbours(site, article)
        context = {
            "article": article,
            "previous": previous,
            "next": following,
            "chapter": site.chapter(article.chapter),
        }
        yield PageJob(f"articles/{article.slug}/index.html", article.url_path, "article.html", context)
    yield PageJob("authors/index.html", "/authors/", "authors.html", {})
    for author in site.authors:
        yield PageJob(f"authors/{author.slug}/index.html", author.url_path, "author.html", {"author": author})
    for page in site.pages:
        yield PageJob(f"{page.slug}/index.html", page.url_path, "page.html", {"page": page})
    yield PageJob("manifesto/index.html", "/manifesto/", "manifesto.html", {"bodies": manifesto_bodies(site)})
    yield PageJob("404.html", "/404.html", "404.html", {})
    yield PageJob("feed.xml", FEED_PATH, "feed.xml", {"updated": feed_updated(site, options)})
    yield PageJob("sitemap.xml", "/sitemap.xml", "sitemap.xml", {})
    yield PageJob("robots.txt", "/robots.txt", "robots.txt", {})


def template_frame(error: BaseException, templates_dir: Path) -> tuple[Path, int | None] | None:
    """The template file and line an error was raised from (Jinja puts them in the traceback)."""
    found: tuple[Path, int | None] | None = None
    for frame in traceback.extract_tb(error.__traceback__):
        filename = Path(frame.filename)
        if filename.is_relative_to(templates_dir):
            found = (filename, frame.lineno)
    return found


def template_error(error: Exception, templates_dir: Path, shown_root: Path) -> BuildError:
    if isinstance(error, jinja2.TemplateSyntaxError):
        path = Path(error.filename or templates_dir)
        return BuildError(
            path.relative_to(shown_root) if path.is_relative_to(shown_root) else path,
            error.lineno,
            f"template syntax error: {error.message}",
            "check that every {% … %} and {{ … }} is closed and every block has its {% end… %}",
        )
    if isinstance(error, jinja2.TemplateNotFound):
        return BuildError(templates_dir.relative_to(shown_root), None, f"template not found: {error.name}")
    path, line = template_frame(error, templates_dir) or (templates_dir, None)
    hint = "a name in the template is misspelt or not available on this page"
    if isinstance(error, jinja2.UndefinedError):
        return BuildError(path.relative_to(shown_root), line, f"template error: {error.message}", hint)
    return BuildError(
        path.relative_to(shown_root), line, f"template error: {type(error).__name__}: {error}", ""
    )


def render_job(env: jinja2.Environment, job: PageJob) -> bytes:
    template = env.get_template(job.template)
    return template.render(url_path=job.url_path, **job.context).encode("utf-8")


def render_site(
    site: Site,
    env: jinja2.Environment,
    templates_dir: Path,
    shown_root: Path,
    options: RenderOptions,
    *,
    select: Callable[[PageJob], bool] = lambda job: True,
) -> dict[str, bytes]:
    """Render every page (or those ``select`` picks) into memory: {output path: bytes}."""
    pages: dict[str, bytes] = {}
    for job in plan_pages(site, options):
        if not select(job):
            continue
        try:
            pages[job.output_path] = render_job(env, job)
        except Exception as error:
            # A mistake in a template is the user's; anything raised outside the templates is our bug.
            if isinstance(error, jinja2.TemplateError) or template_frame(error, templates_dir) is not None:
                raise template_error(error, templates_dir, shown_root) from None
            raise
    return pages
