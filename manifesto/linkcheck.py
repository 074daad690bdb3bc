"""Check a built site: every internal link and #anchor in the output must lead somewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit


@dataclass
class PageLinks:
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)  # every href and src, as written


class LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = PageLinks()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.found.ids.add(value)
            elif name in {"href", "src"} and not (tag == "link" and ("rel", "canonical") in attrs):
                self.found.links.append(value)


def collect_links(html: bytes) -> PageLinks:
    collector = LinkCollector()
    collector.feed(html.decode("utf-8"))
    collector.close()
    return collector.found


def output_path_for(url_path: str, base_path: str) -> str | None:
    """The output file a site path is served from, or None when it lies outside the site."""
    if not url_path.startswith(base_path + "/"):
        return None
    relative = unquote(url_path[len(base_path) + 1 :])
    return relative + "index.html" if relative == "" or relative.endswith("/") else relative


def dead_links(pages: dict[str, bytes], base_path: str = "") -> list[str]:
    """'page: link' for every internal link in the HTML output that leads nowhere."""
    parsed = {path: collect_links(data) for path, data in sorted(pages.items()) if path.endswith(".html")}
    problems: list[str] = []
    for page_path, found in parsed.items():
        for link in found.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue
            if not parts.path:
                target: str | None = page_path
            elif parts.path.startswith("/"):
                target = output_path_for(parts.path, base_path)
            else:
                problems.append(f"{page_path}: relative link {link!r} (links must start with the base path)")
                continue
            if target is None or target not in pages:
                problems.append(f"{page_path}: dead link {link!r}")
            elif parts.fragment and target in parsed and unquote(parts.fragment) not in parsed[target].ids:
                problems.append(f"{page_path}: no anchor #{parts.fragment} on {target} (link {link!r})")
    return problems
