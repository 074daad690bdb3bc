"""The interface's words in the site's language: gettext catalogues and dates, with Babel.

Campaigners edit only the ``.po`` files in templates/locales/ (load.py reads them); each is compiled here,
in memory, to the ``.mo`` form that Python's gettext reads, memoised by the file's digest. A word a
catalogue lacks falls back to the default language's catalogue, then to the English of the templates.
"""

from __future__ import annotations

import datetime
import gettext
import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from .errors import BuildError, raise_if_any
from .load import CatalogueFile

Value = TypeVar("Value")


def N_(message: str) -> str:  # noqa: N802 (gettext's name for a word marked for the catalogue)
    """Marks a word for the interface's catalogue (pybabel finds it); the page that shows it translates it."""
    return message


PO_HINT = 'a .po file is pairs of  msgid "…"  and  msgstr "…"  lines; compare it with templates/locales/messages.pot'


class Memo(Protocol):
    """What this stage asks of the memo layer (memo.Memo), which it does not import."""

    def get(self, kind: str, key: str, make: Callable[[], Value]) -> Value: ...


def read_catalogue(catalogue: CatalogueFile) -> Catalog:
    """The catalogue's messages; a mistake in the file is a BuildError at its line."""
    try:
        messages = read_po(io.BytesIO(catalogue.data), abort_invalid=True)
    except PoFileError as error:
        problem = str(error).removesuffix(f" on {error.lineno}")  # Babel counts lines from 0 there
        problem = problem[:1].lower() + problem[1:]
        raise BuildError(
            catalogue.path, error.lineno + 1, f"this catalogue cannot be read: {problem}", PO_HINT
        ) from None
    except UnicodeDecodeError as error:
        line = catalogue.data[: error.start].count(b"\n") + 1
        raise BuildError(
            catalogue.path, line, "this catalogue is not UTF-8 text", "save it as UTF-8 in your editor"
        ) from None
    errors = [
        BuildError(
            catalogue.path,
            message.lineno,
            f"the translation of {message.id!r} does not fit it: {problem}",
            "keep every  %(name)s  of the msgid in the msgstr, spelt as it is (the words around it may move)",
        )
        for message, problems in messages.check()
        for problem in problems
    ]
    raise_if_any(errors)
    return messages


def compiled_catalogue(catalogue: CatalogueFile) -> bytes:
    """The catalogue in gettext's compiled (.mo) form. Fuzzy translations are left out, as msgfmt does."""
    compiled = io.BytesIO()
    write_mo(compiled, read_catalogue(catalogue), use_fuzzy=False)
    return compiled.getvalue()


def interface_translations(
    catalogues: Iterable[CatalogueFile], languages: Sequence[str], memo: Memo
) -> dict[str, gettext.NullTranslations]:
    """The interface's words in each of ``languages`` (the default first): its catalogue, then the
    default language's, then the templates' own (English) words. Every catalogue is compiled, so that a
    broken one is reported whichever language it is for."""
    compiled: dict[str, bytes] = {}
    errors: list[BuildError] = []
    for catalogue in catalogues:
        key = hashlib.sha256(catalogue.path.as_posix().encode() + b"\0" + catalogue.data).hexdigest()
        try:
            compiled[catalogue.language] = memo.get(
                "catalogue", key, lambda c=catalogue: compiled_catalogue(c)
            )
        except BuildError as error:
            errors.append(error)
    raise_if_any(errors)
    found: dict[str, gettext.NullTranslations] = {}
    for language in languages:
        translations = gettext.NullTranslations()
        for code in dict.fromkeys((languages[0], language)):  # the fallback first
            if code in compiled:
                chained = gettext.GNUTranslations(io.BytesIO(compiled[code]))
                chained.add_fallback(translations)
                translations = chained
        found[language] = translations
    return found


def catalogue_digest(catalogues: Iterable[CatalogueFile], languages: Sequence[str]) -> str:
    """Names the catalogues a language's pages take their words from (its own and the default's)."""
    wanted = {languages[0], languages[-1]}
    digest = hashlib.sha256()
    for catalogue in catalogues:
        if catalogue.language in wanted:
            digest.update(catalogue.path.as_posix().encode() + b"\0" + catalogue.data + b"\0")
    return digest.hexdigest()


def untranslated_messages(template: CatalogueFile, catalogue: CatalogueFile | None) -> list[str]:
    """The words of the templates (messages.pot) that ``catalogue`` does not translate: shown in English."""

    def first(message_id: str | tuple[str, ...]) -> str:  # a plural by its singular
        return message_id if isinstance(message_id, str) else message_id[0]

    def translated(string: str | tuple[str, ...]) -> bool:  # every plural form too
        return all((string,) if isinstance(string, str) else string)

    wanted = [first(message.id) for message in read_catalogue(template) if message.id]
    if catalogue is None:
        return wanted
    messages = read_catalogue(catalogue)
    done = {first(m.id) for m in messages if m.id and not m.fuzzy and translated(m.string)}
    return [message for message in wanted if message not in done]


def babel_locale(language: str) -> Locale | None:
    """Babel's data for a language code (``en-GB``, ``cy``), or None for one it does not know."""
    try:
        return Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        return None


def long_date(value: datetime.date, language: str) -> str:
    """A date written out in ``language`` ("24 Ionawr 2020" in Welsh); in British English for a
    language Babel does not know."""
    return format_date(value, format="long", locale=babel_locale(language) or Locale("en", "GB"))
