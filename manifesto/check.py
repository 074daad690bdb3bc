"""`python build.py check`: everything a build verifies, plus the built pages' own links, writing nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import urlsplit

from .errors import BuildError
from .linkcheck import dead_links
from .model import Site, SiteConfig
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


# Domains kept for examples (RFC 2606): a contact there is a placeholder that reaches no one.
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net", "example")


def contact_missing(config: SiteConfig) -> bool:
    """Whether site.yaml says nowhere how to reach the editors (``contact`` left out, or an example
    address): the contribute page and the accessibility statement need it before the site goes live."""
    contact = config.contact
    host = contact.rpartition("@")[2] if "@" in contact else urlsplit(contact).hostname or ""
    host = host.casefold()
    return not contact or any(host == domain or host.endswith("." + domain) for domain in EXAMPLE_DOMAINS)


def site_warnings(site: Site) -> list[BuildError]:
    """What an editor should fix that does not stop a build: the model's warnings, and a missing contact."""
    warnings = list(site.warnings)
    if contact_missing(site.config):
        warnings.append(
            BuildError(
                "site.yaml",
                None,
                "no real 'contact': the contribute page and the accessibility statement cannot say how to reach you",
                "set  contact:  to your e-mail address (or the https:// address of a web form) before publishing",
            )
        )
    return warnings


def check_site(root: Path, options: RenderOptions) -> tuple[list[BuildError], list[BuildError]]:
    """Every problem a build would stop on, then dead links and broken XML in what it would write; and
    the warnings (site_warnings).

    Problems in the user's files are raised (as by a build); problems in the output, which come from
    the templates or site.yaml, are returned.
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
    return problems, site_warnings(result.site)
