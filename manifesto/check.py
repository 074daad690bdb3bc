"""`python build.py check`: everything a build verifies, plus the built pages' own links, writing nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from .catalogues import untranslated_messages
from .errors import BuildError
from .linkcheck import dead_links
from .load import LOCALES_FOLDER, Sources, load_sources
from .model import Site
from .pipeline import language_sites, render_all
from .render import RenderOptions
from .translations import language_reports

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


def translation_warnings(sources: Sources, site: Site) -> list[BuildError]:
    """Translations whose source changed since they were made, and, for each language of the site that
    is not English, the interface's words its catalogue lacks (they are shown in English)."""
    warnings: list[BuildError] = []
    languages = [other.config.language for other in language_sites(site)]
    if len(languages) > 1:
        for report in language_reports(sources.files, languages):
            warnings += [
                BuildError(
                    behind.path,
                    None,
                    f"this translation is out of date: {behind.source_path.as_posix()} has changed since it was "
                    f"translated ({len(behind.changed)} paragraph{'' if len(behind.changed) == 1 else 's'})",
                    "python build.py translations  shows what changed; once the translation is brought up to "
                    f"date:  python build.py translations --mark {behind.path.as_posix()}",
                )
                for behind in report.behind
            ]
    if sources.catalogue_template is None:
        return warnings
    catalogues = {catalogue.language: catalogue for catalogue in sources.catalogues}
    for code in languages:
        if code.split("-")[0] == "en":
            continue  # the templates' own words are English
        missing = untranslated_messages(sources.catalogue_template, catalogues.get(code))
        if missing:
            path = (
                catalogues[code].path
                if code in catalogues
                else Path(LOCALES_FOLDER) / code / "LC_MESSAGES" / "messages.po"
            )
            shown = ", ".join(repr(message) for message in missing[:3]) + (", …" if len(missing) > 3 else "")
            warnings.append(
                BuildError(
                    path,
                    None,
                    f"{len(missing)} of the interface's words have no translation into '{code}' and are shown in English: {shown}",
                    "add them to the catalogue (README: The site in more than one language)",
                )
            )
    return warnings


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
    warnings = missing_formats(result.site) + translation_warnings(load_sources(root), result.site)
    return Checked(problems, result.site, warnings)
