"""Translations of content files, found by their names: ``fair-funding.cy.md`` is the Welsh version of
``fair-funding.md`` beside it. A translation sets what it translates (TRANSLATED_FIELDS) and inherits the
rest of its source's front matter; it records the digest of the source text it was made from
(``translated_from``), so that a changed source shows which translations have fallen behind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import BuildError
from .frontmatter import split_front_matter
from .load import SourceFile

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


# A record of the source a translation was made from (``translated_from``): a short digest of each block
# of the source file (its front matter, then each paragraph of its body), so that a changed source shows
# which paragraphs changed.
BLOCK_DIGEST_LENGTH = 8


def source_blocks(text: str) -> list[tuple[int, str]]:
    """The blocks of a content file, with the line each starts on: runs of lines between blank lines
    (the front matter, between its ``---`` lines, is one block)."""
    blocks: list[tuple[int, str]] = []
    lines = text.replace("\r\n", "\n").split("\n")
    start, current = 0, []
    in_front_matter = bool(lines) and lines[0].strip() == "---"
    for number, line in enumerate(lines, 1):
        if in_front_matter:
            current.append(line)
            if number > 1 and line.strip() == "---":
                blocks.append((1, "\n".join(current)))
                in_front_matter, current = False, []
            continue
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append((start, "\n".join(current)))
            current = []
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


def block_digest(block: str) -> str:
    return hashlib.sha256(block.encode("utf-8")).hexdigest()[:BLOCK_DIGEST_LENGTH]


def source_record(text: str) -> str:
    """What a translation records of its source's text now (``translated_from``)."""
    return " ".join(block_digest(block) for _, block in source_blocks(text))


@dataclass(frozen=True)
class Changed:
    """A block of a source that is not as it was when its translation was made."""

    line: int
    text: str  # its first words


def changed_blocks(source_text: str, record: str) -> list[Changed]:
    """The blocks of the source that its translation's record does not know: new or changed since."""
    known = set(record.split())
    return [
        Changed(line, " ".join(block.split())[:72])
        for line, block in source_blocks(source_text)
        if block_digest(block) not in known
    ]


@dataclass(frozen=True)
class Behind:
    """A translation whose source changed since it was made (or that does not say what it was made from)."""

    path: Path
    source_path: Path
    changed: tuple[Changed, ...]  # empty when it has no record (``translated_from``)


@dataclass(frozen=True)
class LanguageReport:
    language: str
    untranslated: tuple[Path, ...]  # files of the default language with no translation into it
    behind: tuple[Behind, ...]
    unrecorded: tuple[Path, ...]  # translations that do not record their source (translated_from)


RECORD_FIELD = re.compile(r"^translated_from:.*$", re.MULTILINE)


def with_record(text: str, record: str) -> str:
    """A translation's text with ``translated_from: <record>`` in its front matter (set or replaced)."""
    line = f'translated_from: "{record}"'
    if not text.startswith("---"):
        return f"---\n{line}\n---\n\n{text}"
    end = text.find("\n---", 3)
    front, rest = text[:end], text[end:]
    if RECORD_FIELD.search(front):
        return RECORD_FIELD.sub(line, front, count=1) + rest
    return f"{front}\n{line}{rest}"


def recorded_source(text: str) -> str | None:
    """A translation's ``translated_from``, read from its front matter; None when it has none."""
    end = text.find("\n---", 3) if text.startswith("---") else -1
    found = RECORD_FIELD.search(text[:end]) if end > 0 else None
    if found is None:
        return None
    return found.group(0).partition(":")[2].strip().strip("\"'")


def language_reports(files: Sequence[SourceFile], languages: Sequence[str]) -> list[LanguageReport]:
    """For each language but the default: the content files with no translation into it, and the
    translations whose source changed since they were made (translations.py's record), with the
    paragraphs that changed."""
    by_path = {source.path: source for source in files}
    named = {source.path: translation_name(source.path, tuple(languages)) for source in files}
    reports = []
    for code in languages[1:]:
        translations = {
            name.source_path: path
            for path, name in named.items()
            if name is not None and name.language == code
        }
        untranslated = tuple(
            path for path, name in named.items() if name is None and path not in translations
        )
        behind: list[Behind] = []
        unrecorded: list[Path] = []
        for source_path, path in sorted(translations.items()):
            source = by_path.get(source_path)
            if source is None:
                continue  # reported by the build: a translation without its source
            record = recorded_source(by_path[path].text)
            if record is None:
                unrecorded.append(path)
            elif record != source_record(source.text):
                behind.append(Behind(path, source_path, tuple(changed_blocks(source.text, record))))
        reports.append(LanguageReport(code, untranslated, tuple(behind), tuple(unrecorded)))
    return reports


def report_text(reports: Sequence[LanguageReport], language_name: Callable[[str], str]) -> str:
    """The report of ``python build.py translations``, for editors."""
    lines: list[str] = []
    for report in reports:
        lines.append(f"{language_name(report.language)} ({report.language}):")
        if not (report.untranslated or report.behind or report.unrecorded):
            lines.append("  every page is translated and up to date")
        if report.untranslated:
            lines.append(f"  not translated ({len(report.untranslated)}):")
            lines += [f"    {path.as_posix()}" for path in report.untranslated]
        if report.behind:
            lines.append(f"  out of date: the source changed since it was translated ({len(report.behind)}):")
            for behind in report.behind:
                lines.append(f"    {behind.path.as_posix()} (from {behind.source_path.as_posix()}):")
                lines += [
                    f"      {behind.source_path.as_posix()}:{block.line}: {block.text}"
                    for block in behind.changed
                ]
                if not behind.changed:
                    lines.append("      paragraphs were removed or moved")
        if report.unrecorded:
            lines.append(f"  not saying what they were translated from ({len(report.unrecorded)}):")
            lines += [f"    {path.as_posix()}" for path in report.unrecorded]
        lines.append("")
    lines.append(
        "After bringing a translation up to date with its source: python build.py translations --mark FILE"
    )
    return "\n".join(lines)


def new_translation_text(source: SourceFile, language_name: str, quoted: Callable[[str], str]) -> str:
    """A new translation of ``source``: its title, summary and text to be translated over, marked as a
    draft, recording the source it is made from. ``quoted`` writes a text as a YAML value."""
    split = split_front_matter(source.text, source.path)
    values = yaml.safe_load(split.yaml_text) or {}
    fields = [f"title: {quoted(str(values.get('title', '')))}  # translate the title"]
    if values.get("summary"):
        fields.append(f"summary: {quoted(str(values['summary']))}  # and the summary")
    return (
        "---\n"
        f"# The {language_name} translation of {source.path.name}: translate the title, the summary and the\n"
        "# text below. The author, date and chapter come from it. Remove the line  translation_status: draft\n"
        "# once a fluent speaker has checked the translation.\n"
        + "\n".join(fields)
        + "\ntranslation_status: draft\n"
        + f'translated_from: "{source_record(source.text)}"\n'
        + "---\n\n"
        + split.body.lstrip("\n")
    )
