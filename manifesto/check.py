"""`python build.py check`: everything a build verifies, plus the built pages' own links, writing nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from .errors import BuildError
from .linkcheck import dead_links
from .model import Site
from .pipeline import render_all
from .render import RenderOptions

XML_OUTPUTS = ("feed.xml", "sitemap.xml")


def malformed_xml(pages: dict[str, bytes]) -> list[BuildError]:
    problems = []
    for path in XML_OUTPUTS:
        try:
            ElementTree.fromstring(pages[path])
        except ElementTree.ParseError as error:
            template = Path("templates") / path
            problems.append(
                BuildError(template, error.position[0], f"{path} is not well-formed XML: {error}")
            )
    return problems


def check_site(root: Path, options: RenderOptions) -> tuple[list[BuildError], Site]:
    """Every problem a build would stop on, then dead links and broken XML in what it would write.

    Problems in the user's files are raised (as by a build); problems in the output, which come from
    the templates or site.yaml, are returned, with the site and so its warnings (``Site.warnings``, and
    ``Site.unfinished``: what must be filled in before publishing, raised as problems with
    ``options.publish``).
    """
    result = render_all(root, options)
    problems = malformed_xml(result.pages)
    for line in dead_links(result.pages, options.base_path):
        page, _, problem = line.partition(": ")
        problems.append(
            BuildError(
                Path("templates"),
                None,
                f"the page {page} has a {problem}",
                "a link in a template or in site.yaml leads nowhere",
            )
        )
    return problems, result.site
