"""`python build.py check`: everything a build verifies, plus the built pages' own links, writing nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError
from .linkcheck import dead_links
from .model import Site
from .pipeline import render_all
from .render import RenderOptions

XML_OUTPUTS = ("feed.xml", "sitemap.xml")
# The kinds of format (site.yaml's formats) that check asks for, by name: the build cannot make them.
EXPECTED_FORMATS = {"easy-read": "Easy Read", "audio": "audio"}
RECOMMENDED_FORMATS = (
    "Easy Read, large print, audio, British Sign Language (BSL), Braille-ready and plain text"
)


@dataclass(frozen=True)
class Checked:
    problems: list[BuildError]  # the site cannot be published as it is
    site: Site
    warnings: list[BuildError] = field(default_factory=list)  # it can, but something is missing


def missing_formats(site: Site) -> list[BuildError]:
    """A warning when site.yaml lists no Easy Read or no audio version of the platform."""
    listed = {listed.kind for listed in site.formats}
    missing = [name for kind, name in EXPECTED_FORMATS.items() if kind not in listed]
    if not missing:
        return []
    return [
        BuildError(
            "site.yaml",
            None,
            f"no {' or '.join(missing)} version of the platform is listed under 'formats'",
            "the Electoral Commission recommends publishing a manifesto in accessible formats at the same "
            f"time as the main text: {RECOMMENDED_FORMATS}. `python build.py formats` makes the large print, "
            "an e-book and plain text; put the others in content/formats/ and list them (README: "
            "Adding an Easy Read, audio or BSL version)",
        )
    ]


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


def check_site(root: Path, options: RenderOptions) -> Checked:
    """Every problem a build would stop on, then dead links and broken XML in what it would write, and
    the accessible formats the site does not list.

    Problems in the user's files are raised (as by a build); problems in the output, which come from
    the templates or site.yaml, are returned, with the site (and so its warnings: ``Site.warnings``, and
    ``Site.unfinished``, what must be filled in before publishing, raised as problems with
    ``options.publish``) and the formats missing.
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
    return Checked(problems, result.site, missing_formats(result.site))
