"""Translations of content files, found by their names: ``fair-funding.cy.md`` is the Welsh version of
``fair-funding.md`` beside it. A translation sets what it translates (TRANSLATED_FIELDS) and inherits the
rest of its source's front matter; it records the digest of the source text it was made from
(``translated_from``), so that a changed source shows which translations have fallen behind.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

# What a translation may set; the rest (author, date, chapter, order…) it takes from its source.
TRANSLATED_FIELDS = {
    "articles": ("title", "summary", "slug", "bio", "context", "period", "photo_credit", "draft"),
    "chapters": ("title", "summary", "slug", "proposals", "draft"),
    "pages": ("title", "summary", "slug", "draft", "show_contact"),
}
# A language code at the end of a file's name: fair-funding.cy.md, about.en-GB.md.
NAME_LANGUAGE = re.compile(r"\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)$")


@dataclass(frozen=True)
class TranslationName:
    """What a file's name says about it: the language it is in, and the file it translates."""

    language: str
    source_path: Path


def translation_name(path: Path, languages: tuple[str, ...]) -> TranslationName | None:
    """None for a file in the default language; raises BuildError for a file named with a language the
    site does not have. Only a site with ``languages:`` reads languages from names."""
    if len(languages) < 2:
        return None
    found = NAME_LANGUAGE.search(path.stem)
    if found is None:
        return None
    code = found.group(1)
    source_path = path.with_name(path.stem[: found.start()] + path.suffix)
    if code == languages[0]:
        raise BuildError(
            path,
            None,
            f"'{code}' is the site's default language: its text is in {source_path.name}, without a code",
            f"rename the file {source_path.name}",
        )
    if code not in languages[1:]:
        known = ", ".join(languages[1:])
        raise BuildError(
            path,
            None,
            f"this file's name ends in '.{code}', but the site has no language '{code}'",
            f"translations are named for a language of site.yaml's  languages:  ({known}), "
            f"as in {source_path.stem}.{languages[1]}.md; add '{code}' there, or rename the file",
        )
    return TranslationName(code, source_path)


def source_digest(text: str) -> str:
    """The digest a translation records of its source's text (the whole file, front matter included),
    short enough to read in front matter."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
