"""Sources to the site model: front matter, Markdown bodies and every cross-check, all problems at once."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import yaml
from markupsafe import Markup

from .body import BodyRenderer, LinkContext, LinkRef, RenderedBody
from .brand import COLOUR, DARK_PAIRINGS, LIGHT_PAIRINGS, Pairing, contrast_problem, logo_size
from .errors import BuildError, raise_if_any
from .frontmatter import (
    Alias,
    Document,
    Field,
    SplitSource,
    check_alias,
    check_bool,
    check_date,
    check_fields,
    check_int,
    check_list,
    check_record,
    check_slug,
    check_text,
    parse_yaml,
    split_front_matter,
)
from .images import IMAGES_FOLDER, check_images, picture_name
from .load import FORMAT_FILE_TYPES, FORMATS_FOLDER, KnownSource, SourceFile, Sources
from .model import (
    Article,
    Author,
    Brand,
    Chapter,
    Format,
    Imprint,
    LanguageVersion,
    Link,
    ListedFormat,
    Page,
    Proposal,
    Site,
    SiteConfig,
)
from .pool import map_in_processes, worker_inputs
from .slugs import name_key, name_slug, slugify
from .translations import NAME_LANGUAGE, TRANSLATED_FIELDS, TranslationName, translation_name


def check_url(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    # "//host/" and "/\\host/" are other sites' addresses to a browser, not paths of this one.
    if not value.startswith(("https://", "http://", "mailto:", "/")) or value.startswith(("//", "/\\")):
        raise doc.error(
            node,
            f"'{key}' must be a full address (https://…) or a site path starting with /, not {value!r}",
            "for a page of this site write its path, such as  /about/",
        )
    return value


# A social handle, as X spells them ("@name"): it becomes https://x.com/name.
SOCIAL_HANDLE = re.compile(r"@[A-Za-z0-9_]{1,30}")
WEB_SCHEMES = ("https", "http")  # the web addresses Markdown links may go to (body.ALLOWED_SCHEMES)


def is_web_address(value: str) -> bool:
    """An absolute http(s) address with a host, and nothing a browser would read otherwise."""
    if any(character.isspace() or ord(character) < 32 or character in '"<>\\`' for character in value):
        return False
    parts = urlsplit(value)
    return (
        parts.scheme.lower() in WEB_SCHEMES
        and bool(parts.hostname)
        and value.lower().startswith(parts.scheme + "://")
    )


def check_social(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if not SOCIAL_HANDLE.fullmatch(value) and not is_web_address(value):
        raise doc.error(
            node,
            f"'{key}' must be a handle such as \"@name\" or a full https:// address, not {value!r}",
            'write a handle in quotes, such as  social: ["@jobloggs"], or the profile\'s address, '
            "such as  https://mastodon.social/@jobloggs",
        )
    return value


def check_base_url(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if not value.startswith(("https://", "http://")):
        raise doc.error(
            node, f"'{key}' must be an absolute address, not {value!r}", "for example  https://example.org/"
        )
    return value.rstrip("/")


# An e-mail address, or the https:// address of a web form.
EMAIL_ADDRESS = re.compile(r"[^@\s<>\"'()\[\],;:]+@[^@\s<>\"'()\[\],;:]+\.[a-z]{2,}", re.IGNORECASE)
WEB_ADDRESS = re.compile(r"https://[^\s<>\"'`]+\.[^\s<>\"'`]+")


def check_contact(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if not (EMAIL_ADDRESS.fullmatch(value) or WEB_ADDRESS.fullmatch(value)):
        raise doc.error(
            node,
            f"'{key}' must be an e-mail address or a web address starting with https://, not {value!r}",
            "for example  contact: editors@example.org  or  contact: https://example.org/contact-form",
        )
    return value


def check_editors_or_author(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if value not in ("editors", "author"):
        raise doc.error(
            node,
            f"'{key}' must be 'editors' or 'author', not {value!r}",
            f"write  {key}: editors  when the editors wrote it, or leave the line out",
        )
    return value


LINK_FIELDS = {"label": Field(check_text, required=True), "url": Field(check_url, required=True)}
IMPRINT_FIELDS = {
    "promoter": Field(check_text, required=True, hint="the person or group that publishes this site"),
    "address": Field(check_text, required=True, hint="the promoter's postal address (UK imprint rules)"),
    "on_behalf_of": Field(check_text),
    "on_behalf_of_address": Field(check_text),
    "printer": Field(check_text),
    "printer_address": Field(check_text),
}
# What a format the campaign makes itself is; the Electoral Commission asks for Easy Read and audio above all.
FORMAT_KINDS = {
    "easy-read": "Easy Read",
    "audio": "Audio",
    "bsl": "British Sign Language video",
    "braille": "Braille",
    "large-print": "Large print",
    "translation": "Translation",
    "other": "Other",
}
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def check_kind(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if value not in FORMAT_KINDS:
        close = difflib.get_close_matches(value, list(FORMAT_KINDS), n=1)
        raise doc.error(
            node,
            f"unknown kind of format {value!r}",
            f"did you mean '{close[0]}'?" if close else f"known kinds: {', '.join(FORMAT_KINDS)}",
        )
    return value


def check_language(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if not LANGUAGE_TAG.fullmatch(value):
        raise doc.error(node, f"'{key}' must be a language code, not {value!r}", "for example  en-GB  or  cy")
    return value


def check_address(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if not value.startswith(("https://", "http://")) or any(c in value for c in ' "<>'):
        raise doc.error(
            node,
            f"'{key}' must be a full address (https://…), not {value!r}",
            "for a file of your own, put it in content/formats/ and write  file: its-name.pdf",
        )
    return value


FORMAT_FIELDS = {
    "label": Field(check_text, required=True, hint='name the format:  label: "Easy Read"'),
    "kind": Field(check_kind, required=True, hint=f"add  kind: …  (one of {', '.join(FORMAT_KINDS)})"),
    "file": Field(check_text),
    "url": Field(check_address),
    "language": Field(check_language),
}


def check_colour(doc: Document, key: str, node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        raise doc.error(
            node,
            f"'{key}' has no colour",
            f'put the colour in quotes:  {key}: "#8b1a2b"  (unquoted, a # starts a comment)',
        )
    value = check_text(doc, key, node)
    if not COLOUR.fullmatch(value):
        raise doc.error(
            node,
            f"'{key}' must be a colour written #rrggbb, not {value!r}",
            f'write it as six hexadecimal digits after a #, in quotes:  {key}: "#8b1a2b"',
        )
    return value.lower()


def check_accent(doc: Document, key: str, node: yaml.Node) -> str:
    """The accent of the light scheme: a colour every light pairing of the theme can be read in."""
    return check_contrast(doc, key, node, LIGHT_PAIRINGS)


def check_accent_dark(doc: Document, key: str, node: yaml.Node) -> str:
    return check_contrast(doc, key, node, DARK_PAIRINGS)


def check_contrast(doc: Document, key: str, node: yaml.Node, pairings: tuple[Pairing, ...]) -> str:
    colour = check_colour(doc, key, node)
    found = contrast_problem(key, colour, pairings)
    if found is not None:
        raise doc.error(node, *found)
    return colour


LOGO_TYPES = (".svg", ".png")


def check_logo(doc: Document, key: str, node: yaml.Node) -> tuple[str, int]:
    """The logo's path under content/images/, with its line (the file is found in parse_site)."""
    value = check_text(doc, key, node)
    name = value.removeprefix("content/").removeprefix("images/")
    if PurePosixPath(name).suffix.lower() not in LOGO_TYPES:
        raise doc.error(
            node,
            f"the logo must be an SVG or PNG picture, not {value!r}",
            "put the logo in content/images/ as an .svg (best: sharp at any size) or a .png, and give its name",
        )
    return name, doc.line_of(node)


BRAND_FIELDS = {
    "accent": Field(check_accent),
    "accent_dark": Field(check_accent_dark),
    "logo": Field(check_logo),
    "card_name": Field(check_text),
}
# The mark the sample site.yaml puts in every value a campaign must write before it publishes. A value
# holding it is a warning in a build, the preview and check, and an error when publishing (--publish).
PLACEHOLDER_MARK = "(set it in site.yaml)"
LANGUAGE_FIELDS = {
    "code": Field(check_language, required=True, hint="name the language:  code: cy  (or en-GB, and so on)"),
    "title": Field(check_text),
    "tagline": Field(check_text),
    "description": Field(check_text),
    "calls_to_action": Field(check_list(check_record(LINK_FIELDS, "a call to action"))),
    "nav": Field(check_list(check_record(LINK_FIELDS, "a navigation link"))),
}
SITE_FIELDS = {
    "title": Field(check_text, required=True),
    "tagline": Field(check_text, required=True),
    "description": Field(check_text, required=True),
    "language": Field(check_text),
    "base_url": Field(check_base_url, required=True, hint="add  base_url: https://your-site.example/"),
    "imprint": Field(check_record(IMPRINT_FIELDS, "the imprint"), required=True),
    "calls_to_action": Field(check_list(check_record(LINK_FIELDS, "a call to action"))),
    "nav": Field(check_list(check_record(LINK_FIELDS, "a navigation link"))),
    "contact": Field(check_contact),
    "formats": Field(check_list(check_record(FORMAT_FIELDS, "a format"))),
    "languages": Field(check_list(check_record(LANGUAGE_FIELDS, "a language"))),
    "brand": Field(check_record(BRAND_FIELDS, "the brand")),
}
ARTICLE_FIELDS = {
    "title": Field(check_text, required=True, hint='add a headline:  title: "…"'),
    "author": Field(check_text, required=True),
    "bio": Field(check_text),
    "social": Field(check_list(check_social)),
    "date": Field(check_date),
    "chapter": Field(
        check_slug, required=True, hint="name the chapter this op-ed belongs to:  chapter: fair-funding"
    ),
    "chapters": Field(check_list(check_slug)),
    "summary": Field(check_text, required=True),
    "photo_credit": Field(check_text),
    "photo": Field(check_text),
    "image": Field(check_text),
    "image_alt": Field(check_text),
    "draft": Field(check_bool),
    "order": Field(check_int),
    "slug": Field(check_slug),
    "headline_by": Field(check_editors_or_author),
    "summary_by": Field(check_editors_or_author),
    "outlet": Field(check_text),
    "period": Field(check_text),
    "context": Field(check_text),
    "aliases": Field(check_list(check_alias)),
    "author_slug": Field(check_slug),
}
PROPOSAL_FIELDS = {"text": Field(check_text, required=True), "source": Field(check_text, required=True)}
CHAPTER_FIELDS = {
    "title": Field(check_text, required=True),
    "order": Field(check_int, required=True),
    "summary": Field(check_text, required=True),
    "proposals": Field(check_list(check_record(PROPOSAL_FIELDS, "a proposal"))),
    "draft": Field(check_bool),
    "slug": Field(check_slug),
    "aliases": Field(check_list(check_alias)),
}
PAGE_FIELDS = {
    "title": Field(check_text, required=True),
    "summary": Field(check_text),
    "draft": Field(check_bool),
    "slug": Field(check_slug),
    "show_contact": Field(check_bool),
    "aliases": Field(check_list(check_alias)),
}
FIELDS_BY_KIND = {"articles": ARTICLE_FIELDS, "chapters": CHAPTER_FIELDS, "pages": PAGE_FIELDS}


def check_translation_status(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if value != "draft":
        raise doc.error(
            node,
            f"'{key}' can only be 'draft', not {value!r}",
            "mark a translation not yet checked by a fluent reader  translation_status: draft ; remove the line once it is",
        )
    return value


# A translation's front matter (translations.py): what it translates, none of it required, and its own.
TRANSLATION_FIELDS_BY_KIND = {
    kind: {
        **{name: dataclasses.replace(fields[name], required=False) for name in TRANSLATED_FIELDS[kind]},
        "translation_status": Field(check_translation_status),
        "translated_from": Field(check_text),
    }
    for kind, fields in FIELDS_BY_KIND.items()
}
KIND_NAMES = {"articles": "op-ed", "chapters": "chapter", "pages": "page"}
# Top-level paths the generator writes itself; a plain page may not take them.
RESERVED_PAGE_SLUGS = {
    "articles",
    "chapters",
    "authors",
    "manifesto",
    "assets",
    "images",
    "search",
    "pagefind",
    "formats",
    "cards",
}


@dataclass(frozen=True)
class FrontMatter:
    """What a content file's front matter says, checked. It depends only on the file's path and kind and
    on the YAML's text and place (front_matter_key), so it is kept between builds by those."""

    slug: str
    values: dict[str, Any]
    field_lines: dict[str, int]  # each top-level field -> the file line of its value
    first_line: int  # the YAML's first line: where a field that is not there is reported


@dataclass(frozen=True)
class Entry:
    """One content file with its checked front matter, before its body is rendered."""

    source: SourceFile
    front_matter: FrontMatter
    front_matter_key: str  # front_matter_key's: names everything the front matter was made from
    body_digest: str  # body_digest's: names the body in the keys of its conversion
    body_first_line: int
    given_body: str | None = field(default=None, repr=False)  # else split from the file when asked for
    translation: TranslationName | None = None  # what the file translates, by its name (translations.py)

    @cached_property
    def body(self) -> str:
        if self.given_body is not None:
            return self.given_body
        body = split_front_matter(self.source.text, self.source.path).body
        if body_digest(body) != self.body_digest:  # its digest was kept by the last build, with its stamp
            raise BuildError(
                self.source.path, None, "this file changed while the site was built", "build it again"
            )
        return body

    @property
    def slug(self) -> str:
        return self.front_matter.slug

    @property
    def values(self) -> dict[str, Any]:
        return self.front_matter.values

    @property
    def draft(self) -> bool:
        return bool(self.values.get("draft", False))

    def field_line(self, key: str) -> int:
        return self.front_matter.field_lines.get(key, self.front_matter.first_line)

    def body_line(self, written: str) -> int:
        """The line on which ``written`` first appears; else the body's first line of text."""
        lines = self.body.split("\n")
        for offset, line in enumerate(lines):
            if written and written in line:
                return self.body_first_line + offset
        first_text = next((offset for offset, line in enumerate(lines) if line.strip()), 0)
        return self.body_first_line + first_text


def parse_config(source: SourceFile) -> SiteConfig:
    doc = parse_yaml(source.text, source.path, 1)
    values, errors = check_fields(doc, doc.root, SITE_FIELDS, "site.yaml")
    imprint = values.get("imprint", {})
    if "on_behalf_of" in imprint and "on_behalf_of_address" not in imprint:
        errors.append(
            BuildError(
                source.path,
                imprint["_line"],
                "the imprint names who the site is published on behalf of, but not their address",
                "UK imprint rules need it: add  on_behalf_of_address: …  under imprint",
            )
        )
    raise_if_any(errors)
    languages = values.get("languages", ())
    errors.extend(language_problems(source, values))
    language = languages[0]["code"] if languages else values.get("language", "en-GB")
    if bool(imprint.get("printer")) != bool(imprint.get("printer_address")):
        given, missing = (
            ("printer", "printer_address") if imprint.get("printer") else ("printer_address", "printer")
        )
        errors.append(
            BuildError(
                source.path,
                imprint["_line"],
                f"the imprint has a '{given}' but no '{missing}'",
                "printed material must carry the printer's name and postal address: give both",
            )
        )
    for listed in values.get("formats", ()):
        if bool(listed.get("file")) == bool(listed.get("url")):
            errors.append(
                BuildError(
                    source.path,
                    listed["_line"],
                    f"the format '{listed['label']}' needs either a 'file' or a 'url', "
                    + ("not both" if listed.get("file") else "and has neither"),
                    "file: names a file in content/formats/ (for example  file: easy-read.pdf); "
                    "url: a full address elsewhere (for example a video's page)",
                )
            )
    raise_if_any(errors)

    def links(items: Iterable[dict[str, Any]]) -> tuple[Link, ...]:
        return tuple(Link(item["label"], item["url"]) for item in items)

    brand = values.get("brand", {})
    return SiteConfig(
        languages=tuple(
            LanguageVersion(
                item["code"],
                item.get("title", values["title"]),
                item.get("tagline", values["tagline"]),
                item.get("description", values["description"]),
                links(item.get("nav", values.get("nav", ()))),
                links(item.get("calls_to_action", values.get("calls_to_action", ()))),
                own_links="nav" in item,
            )
            for item in languages
        ),
        title=values["title"],
        tagline=values["tagline"],
        description=values["description"],
        language=language,
        base_url=values["base_url"],
        imprint=Imprint(
            imprint["promoter"],
            imprint["address"],
            imprint.get("on_behalf_of", ""),
            imprint.get("on_behalf_of_address", ""),
            imprint.get("printer", ""),
            imprint.get("printer_address", ""),
        ),
        calls_to_action=tuple(Link(item["label"], item["url"]) for item in values.get("calls_to_action", ())),
        nav=tuple(Link(item["label"], item["url"]) for item in values.get("nav", ())),
        contact=values.get("contact", ""),
        formats=tuple(
            ListedFormat(
                item["label"],
                item["kind"],
                item.get("language", language),
                item.get("file", ""),
                item.get("url", ""),
                item["_line"],
            )
            for item in values.get("formats", ())
        ),
        brand=Brand(
            accent=brand.get("accent", Brand.accent),
            accent_dark=brand.get("accent_dark"),
            logo=brand["logo"][0] if "logo" in brand else None,
            card_name=brand.get("card_name", ""),
        ),
    )


def language_problems(source: SourceFile, values: dict[str, Any]) -> list[BuildError]:
    """``languages:`` names each language once, the default first; ``language:``, if given too, is it."""
    languages = values.get("languages", ())
    errors: list[BuildError] = []
    seen: dict[str, int] = {}
    for item in languages:
        code = item["code"]
        if code.casefold() in seen:
            errors.append(
                BuildError(
                    source.path,
                    item["_line"],
                    f"the language '{code}' is listed twice (first at line {seen[code.casefold()]})",
                    "list each language once under  languages:",
                )
            )
        seen.setdefault(code.casefold(), item["_line"])
    if languages and "language" in values and values["language"] != languages[0]["code"]:
        errors.append(
            BuildError(
                source.path,
                None,
                f"'language: {values['language']}' is not the first of 'languages:' ({languages[0]['code']})",
                "the first language listed is the site's default: remove  language:  or make them the same",
            )
        )
    return errors


def unfinished_fields(source: SourceFile) -> list[BuildError]:
    """Each value of site.yaml that is still the sample's placeholder (PLACEHOLDER_MARK), with its line."""
    doc = parse_yaml(source.text, source.path, 1)
    found: list[BuildError] = []

    def visit(node: yaml.Node | None, name: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                visit(value_node, f"{name} → {key_node.value}" if name else str(key_node.value))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                visit(item, name)
        elif isinstance(node, yaml.ScalarNode) and PLACEHOLDER_MARK in str(node.value):
            hint = (
                "UK imprint rules require the promoter's real name and postal address on campaign "
                "material: write them in site.yaml"
                if name.startswith("imprint")
                else "write the campaign's own text in site.yaml"
            )
            found.append(doc.error(node, f"'{name}' is still the sample's placeholder: {node.value!r}", hint))
        elif isinstance(node, yaml.ScalarNode) and name == "contact" and is_example_address(str(node.value)):
            found.append(
                doc.error(
                    node, f"'contact' is an example address that reaches no one: {node.value!r}", CONTACT_HINT
                )
            )

    visit(doc.root, "")
    top_keys = {key.value for key, _ in doc.root.value} if isinstance(doc.root, yaml.MappingNode) else set()
    if "contact" not in top_keys:
        found.append(
            BuildError(
                source.path, None, "no 'contact': readers cannot tell how to reach the editors", CONTACT_HINT
            )
        )
    return found


# Domains kept for examples (RFC 2606): a contact there is a placeholder that reaches no one.
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net", "example")
CONTACT_HINT = (
    "set  contact:  in site.yaml to your e-mail address (or the https:// address of a web form): the "
    "contribute page and the accessibility statement show it"
)


def is_example_address(contact: str) -> bool:
    host = contact.rpartition("@")[2] if "@" in contact else urlsplit(contact).hostname or ""
    host = host.casefold()
    return any(host == domain or host.endswith("." + domain) for domain in EXAMPLE_DOMAINS)


def contact_missing(config: SiteConfig) -> bool:
    """Whether site.yaml says nowhere how to reach the editors (``contact`` left out, or an example
    address): the contribute page and the accessibility statement need it before the site goes live."""
    return not config.contact or is_example_address(config.contact)


def campaign_formats(sources: Sources, config: SiteConfig) -> tuple[tuple[Format, ...], list[BuildError]]:
    """site.yaml's formats, each file found in content/formats/ with its size; a missing file, or one of a
    type that is not published (load.FORMAT_FILE_TYPES), is an error at its line."""
    files = {asset.url_path: asset for asset in sources.format_files}
    formats: list[Format] = []
    errors: list[BuildError] = []
    for listed in config.formats:
        if listed.url:
            formats.append(
                Format(listed.label, listed.kind, "Web page", "text/html", listed.language, listed.url, None)
            )
            continue
        name = listed.file.removeprefix(FORMATS_FOLDER + "/")
        suffix = PurePosixPath(name).suffix.lower()
        url_path = "/formats/" + name
        if suffix not in FORMAT_FILE_TYPES:
            errors.append(
                BuildError(
                    sources.config.path,
                    listed.line,
                    f"the format '{listed.label}' is a {suffix or 'file without a type'}, which is not published",
                    f"formats may be files of these types: {', '.join(FORMAT_FILE_TYPES)}",
                )
            )
        elif url_path not in files or ".." in PurePosixPath(name).parts:
            present = [path.removeprefix("/formats/") for path in files]
            close = difflib.get_close_matches(name, present, n=1)
            errors.append(
                BuildError(
                    sources.config.path,
                    listed.line,
                    f"no file {FORMATS_FOLDER}/{name} for the format '{listed.label}'",
                    f"did you mean '{close[0]}'?"
                    if close
                    else f"put the file in {FORMATS_FOLDER}/ and give its name, for example  file: easy-read.pdf",
                )
            )
        else:
            media_type, type_name = FORMAT_FILE_TYPES[suffix]
            size = len(files[url_path].data)
            formats.append(
                Format(listed.label, listed.kind, type_name, media_type, listed.language, url_path, size)
            )
    return tuple(formats), errors


def brand_logo(sources: Sources, config: SiteConfig) -> tuple[Brand, list[BuildError]]:
    """site.yaml's brand with its logo's size; a logo not found in content/images/ is an error at its line."""
    brand = config.brand
    if brand.logo is None:
        return brand, []
    pictures = {asset.url_path: asset for asset in sources.assets if asset.path.is_relative_to(IMAGES_FOLDER)}
    found = pictures.get(brand.logo_url_path or "")
    size = logo_size(brand.logo, found.data) if found is not None else None
    if found is not None and size is not None:
        return dataclasses.replace(brand, logo_size=size), []
    line = logo_line(sources.config)
    if found is not None:
        hint = 'give the drawing\'s <svg> a viewBox (for example  viewBox="0 0 200 60")'
        return brand, [BuildError(sources.config.path, line, f"the logo {brand.logo} has no size", hint)]
    present = [path.removeprefix("/images/") for path in pictures]
    close = difflib.get_close_matches(brand.logo, present, n=1)
    return brand, [
        BuildError(
            sources.config.path,
            line,
            f"no picture {IMAGES_FOLDER}/{brand.logo} for the logo",
            f"did you mean '{close[0]}'?"
            if close
            else f"put the logo (SVG or PNG) in {IMAGES_FOLDER}/ and give its name, for example  logo: logo.svg",
        )
    ]


def logo_line(config: SourceFile) -> int | None:
    doc = parse_yaml(config.text, config.path, 1)
    values, _ = check_fields(doc, doc.root, SITE_FIELDS, "site.yaml")
    return values.get("brand", {}).get("logo", (None, None))[1]


def field_lines(doc: Document) -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(doc.root, yaml.MappingNode):
        for key_node, value_node in doc.root.value:
            lines.setdefault(key_node.value, doc.line_of(value_node))
    return lines


def parse_front_matter(
    source: SourceFile, split: SplitSource, translation: TranslationName | None = None
) -> FrontMatter:
    doc = parse_yaml(split.yaml_text, source.path, split.yaml_first_line)
    what = f"the {KIND_NAMES[source.kind]}'s front matter"
    fields = (TRANSLATION_FIELDS_BY_KIND if translation else FIELDS_BY_KIND)[source.kind]
    values, errors = check_fields(doc, doc.root, fields, what)
    if doc.root is None and not translation:  # a translation of the body alone inherits every field
        errors = [BuildError(source.path, 1, f"{what} is empty", "add the fields between the two --- lines")]
    raise_if_any(errors)
    # A translation's ``slug`` is its own address; the op-ed it is, its source's (language_site).
    name = translation.source_path if translation else Path(source.path)
    slug = (None if translation else values.get("slug")) or slugify(name.stem)
    if not slug:
        raise BuildError(
            source.path,
            None,
            "cannot make a web address from this file name",
            "rename the file using letters a-z",
        )
    return FrontMatter(slug, values, field_lines(doc), doc.first_line)


def front_matter_key(
    source: SourceFile, split: SplitSource, translation: TranslationName | None = None
) -> str:
    """Everything a file's FrontMatter is made from, as one digest."""
    what = f"{source.kind} in {translation.language}" if translation else source.kind
    parts = (source.path.as_posix(), what, str(split.yaml_first_line), split.yaml_text)
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


Value = TypeVar("Value")


class Memo(Protocol):
    """What parsing asks of the memo layer (memo.Memo), which this stage does not import."""

    def get(self, kind: str, key: str, make: Callable[[], Value]) -> Value: ...

    def get_many(
        self, kind: str, keys: Iterable[str], make: Callable[[list[str]], Mapping[str, Value]]
    ) -> dict[str, Value]: ...

    def lookup(self, kind: str, key: str) -> Any: ...

    def put(self, kind: str, key: str, value: Any) -> None: ...


class Unmemoised:
    """A Memo that remembers nothing: every value is made."""

    def get(self, kind: str, key: str, make: Callable[[], Value]) -> Value:
        return make()

    def get_many(
        self, kind: str, keys: Iterable[str], make: Callable[[list[str]], Mapping[str, Value]]
    ) -> dict[str, Value]:
        return dict(make(list(keys)))

    def lookup(self, kind: str, key: str) -> Any:
        return None

    def put(self, kind: str, key: str, value: Any) -> None:
        return


def parse_entries(
    files: Sequence[SourceFile], memo: Memo, languages: tuple[str, ...] | None = ()
) -> tuple[list[Entry], list[BuildError]]:
    """Each file's entry, and every file's problems. Checked front matter is memoised by
    front_matter_key ("front-matter"); a file the last build knew (``SourceFile.known``, kept as
    "source" by its path) is not read when its front matter is kept. Front matter with mistakes is not
    kept: it is parsed again, with the same errors. With ``languages`` (the site's, the default first),
    a file named for another (translations.py) is that language's translation of another file; with
    None (site.yaml could not be read), a file that may be one is left for the next run."""
    entries: list[Entry] = []
    errors: list[BuildError] = []
    for source in files:
        if languages is None and NAME_LANGUAGE.search(source.path.stem):
            continue
        try:
            translation = translation_name(source.path, languages or ())
            # Whether a file is a translation depends on site.yaml too: a name that may say a language
            # is never taken on the last build's word.
            record = None if NAME_LANGUAGE.search(source.path.stem) else source.known
            kept = memo.lookup("front-matter", record.front_matter_key) if record is not None else None
            if record is not None and kept is not None:
                entry = Entry(
                    source,
                    kept,
                    record.front_matter_key,
                    record.body_digest,
                    record.body_first_line,
                    translation=translation,
                )
            else:
                split = split_front_matter(source.text, source.path)
                key = front_matter_key(source, split, translation)
                make = partial(parse_front_matter, source, split, translation)
                front_matter = memo.get("front-matter", key, make)
                digest = body_digest(split.body)
                entry = Entry(
                    source, front_matter, key, digest, split.body_first_line, split.body, translation
                )
            if source.stamp is not None:
                known = KnownSource(
                    source.stamp, entry.front_matter_key, entry.body_digest, entry.body_first_line
                )
                memo.put("source", source.path.as_posix(), known)
            entries.append(entry)
        except (BuildError, ExceptionGroup) as error:
            errors.extend(error.exceptions if isinstance(error, ExceptionGroup) else [error])
    return entries, errors


def url_path_of(kind: str, slug: str) -> str:
    return f"/{slug}/" if kind == "pages" else f"/{kind}/{slug}/"


def check_unique_slugs(entries: list[Entry]) -> list[BuildError]:
    errors: list[BuildError] = []
    seen: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        key = (entry.source.kind, entry.slug)
        if key in seen:
            errors.append(
                BuildError(
                    entry.source.path,
                    None,
                    f"the address /{entry.source.kind}/{entry.slug}/ is already used by {seen[key].source.path.as_posix()}",
                    "rename one of the files, or give one a different  slug: …",
                )
            )
        else:
            seen[key] = entry
        if entry.source.kind == "pages" and entry.slug in RESERVED_PAGE_SLUGS:
            errors.append(
                BuildError(
                    entry.source.path,
                    None,
                    f"a page cannot be called '{entry.slug}': the site uses /{entry.slug}/ itself",
                    "rename the file or set another  slug: …",
                )
            )
    return errors


def check_unique_titles(entries: list[Entry]) -> list[BuildError]:
    """Two op-eds (or two chapters) with one title would be told apart by readers only by their address."""
    errors: list[BuildError] = []
    seen: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        if entry.source.kind == "pages" or "title" not in entry.values:
            continue
        key = (entry.source.kind, " ".join(entry.values["title"].casefold().split()))
        first = seen.setdefault(key, entry)
        if first is not entry:
            errors.append(
                BuildError(
                    entry.source.path,
                    entry.field_line("title"),
                    f"the title {entry.values['title']!r} is already used by "
                    f"{first.source.path.as_posix()}:{first.field_line('title')}",
                    f"give each {KIND_NAMES[entry.source.kind]} its own title",
                )
            )
    return errors


def alias_paths(entry: Entry) -> tuple[str, ...]:
    return tuple(alias.url_path for alias in entry.values.get("aliases", ()))


def output_path_of(url_path: str) -> str:
    """The file a site path is written to: /x/ is x/index.html, /x.html is x.html."""
    return url_path[1:] if url_path.endswith(".html") else url_path[1:] + "index.html"


# Pages the generator makes itself, and folders it writes (render.plan_pages, the assets, the search index).
GENERATED_PAGES = ("/", "/chapters/", "/authors/", "/manifesto/", "/formats/", "/search/", "/404.html")
GENERATED_FOLDERS = ("assets/", "images/", "search/", "cards/")


def check_aliases(entries: list[Entry], authors: tuple[Author, ...]) -> list[BuildError]:
    """An alias may not be the address of a page, of a file the site makes, or another alias."""
    owners: dict[str, str] = {output_path_of(path): "" for path in GENERATED_PAGES}
    owners |= {output_path_of(author.url_path): "" for author in authors}
    for entry in entries:
        line = entry.front_matter.field_lines.get("slug")
        owners[output_path_of(url_path_of(entry.source.kind, entry.slug))] = (
            f"{entry.source.path.as_posix()}:{line}" if line else entry.source.path.as_posix()
        )
    errors: list[BuildError] = []
    aliases: dict[str, str] = {}
    for entry in entries:
        alias: Alias
        for alias in entry.values.get("aliases", ()):
            output = output_path_of(alias.url_path)
            here = f"{entry.source.path.as_posix()}:{alias.line}"
            if output in owners:
                owner = owners[output]
                problem = (
                    f"the alias {alias.url_path} is the address of {owner}"
                    if owner
                    else f"the alias {alias.url_path} is an address the site makes itself"
                )
                hint = "an alias is an old address that no page has now: remove it or correct it"
            elif output in aliases:
                problem = f"the alias {alias.url_path} is also an alias in {aliases[output]}"
                hint = "an old address can lead to one page only: remove one of the two"
            elif output.startswith(GENERATED_FOLDERS):
                problem = (
                    f"the alias {alias.url_path} is inside /{output.split('/')[0]}/, which the site writes"
                )
                hint = "an alias is an old address of an op-ed, chapter or page"
            else:
                aliases[output] = here
                continue
            errors.append(BuildError(entry.source.path, alias.line, problem, hint))
    return errors


def did_you_mean(value: str, known: list[str], kind: str = "chapters") -> str:
    """A hint for an unknown slug of ``kind`` (a folder of content/): the closest known, and all of them."""
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.5)
    noun = "op-eds" if kind == "articles" else kind
    listing = (
        f"known: {', '.join(known)}" if known else f"there are no {noun} yet: add one in content/{kind}/"
    )
    return f"did you mean '{close[0]}'? ({listing})" if close else listing


def check_chapter_refs(entry: Entry, chapter_slugs: list[str]) -> list[BuildError]:
    errors: list[BuildError] = []
    names = [entry.values["chapter"], *entry.values.get("chapters", ())]
    for key, name in zip(["chapter"] + ["chapters"] * (len(names) - 1), names, strict=True):
        if name not in chapter_slugs:
            errors.append(
                BuildError(
                    entry.source.path,
                    entry.field_line(key),
                    f"unknown chapter '{name}'",
                    did_you_mean(name, chapter_slugs),
                )
            )
    return errors


def make_article(
    entry: Entry, body_key: str, rendered: RenderedBody, committed_at: int | None = None
) -> Article:
    values = entry.values
    return Article(
        slug=entry.slug,
        title=values["title"],
        author=values["author"],
        author_slug=author_slug_of(entry),
        bio=values.get("bio", ""),
        social=tuple(values.get("social", ())),
        date=values.get("date"),
        chapter=values["chapter"],
        chapters=tuple(name for name in values.get("chapters", ()) if name != values["chapter"]),
        summary=values["summary"],
        photo_credit=values.get("photo_credit", ""),
        draft=entry.draft,
        order=values.get("order", 0),
        body_html=rendered.html,
        anchors=rendered.anchors,
        word_count=rendered.word_count,
        manifesto_marks=rendered.manifesto_marks,
        source_path=entry.source.path,
        body_key=body_key,
        headline_by_editors=values.get("headline_by") == "editors",
        summary_by_editors=values.get("summary_by") == "editors",
        outlet=values.get("outlet", ""),
        period=values.get("period", ""),
        context=values.get("context", ""),
        committed_at=committed_at,
        modified_at=entry.source.modified_at,
        aliases=alias_paths(entry),
        photo=picture_name(values["photo"]) if values.get("photo") else "",
        image=picture_name(values["image"]) if values.get("image") else "",
        image_alt=values.get("image_alt", ""),
    )


def check_named_pictures(entry: Entry, pictures: set[str]) -> list[BuildError]:
    """An op-ed's ``photo`` and ``image`` must name pictures of content/images/, and its lead image
    needs a description."""
    errors = []
    for key in ("photo", "image"):
        value = entry.values.get(key)
        if value and picture_name(value) not in pictures:
            known = sorted(path.removeprefix("/images/") for path in pictures)
            errors.append(
                BuildError(
                    entry.source.path,
                    entry.field_line(key),
                    f"there is no picture content/images/{picture_name(value).removeprefix('/images/')}",
                    "save the picture in content/images/ and give its name"
                    + (f" (there: {', '.join(known[:5])}{', …' if len(known) > 5 else ''})" if known else ""),
                )
            )
    if entry.values.get("image") and not entry.values.get("image_alt"):
        errors.append(
            BuildError(
                entry.source.path,
                entry.field_line("image"),
                "the lead image has no description",
                'say what it shows, for readers who cannot see it:  image_alt: "Tenants outside the town hall"',
            )
        )
    return errors


def author_slug_of(entry: Entry) -> str:
    return entry.values.get("author_slug") or name_slug(entry.values["author"])


def check_authors(entries: list[Entry]) -> list[BuildError]:
    """One author page per name: two different names may not share a slug (李明 and 黎明 are both
    "liming"), and one name may not be given two."""
    errors: list[BuildError] = []
    first_by_slug: dict[str, Entry] = {}
    first_by_name: dict[str, Entry] = {}
    for entry in entries:
        slug, name = author_slug_of(entry), name_key(entry.values["author"])
        other = first_by_slug.setdefault(slug, entry)
        if name_key(other.values["author"]) != name:
            errors.append(
                BuildError(
                    entry.source.path,
                    entry.field_line("author"),
                    f"the author '{name}' would share the page /authors/{slug}/ with "
                    f"'{name_key(other.values['author'])}' of {other.source.path.as_posix()}",
                    "if they are one person, spell the name the same way in both files; if not, give one "
                    f"of them a page of their own with  author_slug: {slug}-2",
                )
            )
        same_name = first_by_name.setdefault(name, entry)
        if author_slug_of(same_name) != slug:
            errors.append(
                BuildError(
                    entry.source.path,
                    entry.field_line("author_slug" if "author_slug" in entry.values else "author"),
                    f"the author '{name}' has the page /authors/{slug}/ here, but "
                    f"/authors/{author_slug_of(same_name)}/ in {same_name.source.path.as_posix()}",
                    "give the same  author_slug  in every op-ed by this author",
                )
            )
    return errors


def parse_source(source: str) -> tuple[str, str] | None:
    slug, _, anchor = source.partition("#")
    return (slug.strip(), anchor.strip()) if slug.strip() else None


def cited_articles(entry: Entry, rendered: RenderedBody) -> list[tuple[str, int]]:
    """The op-eds a chapter cites, each with the file line of its first citation: its proposals' sources,
    then the op-eds its introduction links to."""
    cited: dict[str, int] = {}
    for item in entry.values.get("proposals", ()):
        parsed = parse_source(item["source"])
        if parsed is not None:
            cited.setdefault(parsed[0], item["_line"])
    for link in rendered.links:
        parts = link.url_path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "articles" and parts[1] not in cited:
            cited[parts[1]] = entry.body_line(link.written)
    return list(cited.items())


def make_chapter(entry: Entry, rendered: RenderedBody) -> Chapter:
    proposals = []
    for item in entry.values.get("proposals", ()):
        slug, anchor = parse_source(item["source"]) or ("", "")
        proposals.append(Proposal(item["text"], slug, anchor))
    return Chapter(
        slug=entry.slug,
        title=entry.values["title"],
        order=entry.values["order"],
        summary=entry.values["summary"],
        proposals=tuple(proposals),
        intro_html=rendered.html,
        source_path=entry.source.path,
        draft=entry.draft,
        cited=tuple(slug for slug, _ in cited_articles(entry, rendered)),
        aliases=alias_paths(entry),
    )


def unfiled_citations(entry: Entry, rendered: RenderedBody, articles: dict[str, Article]) -> list[BuildError]:
    """A chapter that cites an op-ed not filed under it (as its ``chapter`` or in its ``chapters``):
    the op-ed is listed with the chapter's as "also relevant", and the editor is told (a warning)."""
    warnings = []
    for slug, line in cited_articles(entry, rendered):
        article = articles.get(slug)
        if article is not None and entry.slug != article.chapter and entry.slug not in article.chapters:
            warnings.append(
                BuildError(
                    entry.source.path,
                    line,
                    f"this chapter cites the op-ed '{slug}', which is not filed under it",
                    f"add '{entry.slug}' to its  chapters: [...]  (it is listed here as also relevant meanwhile)",
                )
            )
    return warnings


def credit_without_photo(entry: Entry, article: Article) -> list[BuildError]:
    """A photo credit is shown only with a photo (a lead image, or one in the body): on an op-ed without
    one, it is a warning and not shown."""
    if article.photo_credit and not (article.image or article.has_image):
        return [
            BuildError(
                entry.source.path,
                entry.field_line("photo_credit"),
                "this op-ed has a photo_credit but no photo, so the credit is not shown",
                "add the photo  (image: photo.jpg  with its  image_alt:, or ![what it shows](../images/photo.jpg)"
                " in the body)  or remove the credit",
            )
        ]
    return []


def passage_hint(anchor: str, anchors: frozenset[str], texts: dict[str, str]) -> str:
    """The passage a mistyped id most likely meant: by its first words, else by the words it shares
    with a passage's text (an id copied from an older version of the paragraph, or written from memory)."""
    typo = difflib.get_close_matches(anchor, sorted(anchors), n=1, cutoff=0.75)
    best = typo[0] if typo else best_by_content_words(anchor, texts)
    if not best:
        close = difflib.get_close_matches(anchor, sorted(anchors), n=1, cutoff=0.4)
        best = close[0] if close else ""
    return f"did you mean '#{best}'?" if best else "open the op-ed page to find the paragraph's id"


# A paragraph, heading, list item or quote with an id, in converted Markdown: its id and its text.
PASSAGE = re.compile(r'<(p|h[1-6]|li|blockquote)\b[^>]*?\bid="([^"]+)"[^>]*>(.*?)</\1>', re.DOTALL)


def passage_texts(body_html: str) -> dict[str, str]:
    return {match[2]: re.sub(r"<[^>]+>", " ", match[3]) for match in PASSAGE.finditer(body_html)}


def content_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z0-9]+", text.casefold()) if word not in STOP_WORDS}


# Words too common to tell one passage from another.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "there",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
    ]
)


def best_by_content_words(anchor: str, texts: dict[str, str]) -> str:
    """The id whose passage shares most content words with ``anchor`` (ties: the first in id order)."""
    wanted = content_words(anchor.replace("-", " "))
    scored = [(len(wanted & content_words(text)), passage) for passage, text in sorted(texts.items())]
    best = max(scored, key=lambda item: item[0], default=(0, ""))
    return best[1] if best[0] >= max(1, len(wanted) // 2) else ""


def check_proposal_sources(entry: Entry, articles: dict[str, Article], drafts: set[str]) -> list[BuildError]:
    errors: list[BuildError] = []
    for item in entry.values.get("proposals", ()):
        line = item["_line"]
        parsed = parse_source(item["source"])
        hint = "write it as  source: article-slug#paragraph-anchor  (the anchor is the paragraph's id on the op-ed page)"
        if parsed is None or not parsed[1]:
            errors.append(
                BuildError(
                    entry.source.path, line, f"proposal source {item['source']!r} has no #anchor", hint
                )
            )
            continue
        slug, anchor = parsed
        if slug in drafts:
            errors.append(
                BuildError(
                    entry.source.path,
                    line,
                    f"proposal source '{slug}' is a draft",
                    "publish the op-ed or cite another",
                )
            )
        elif slug not in articles:
            errors.append(
                BuildError(
                    entry.source.path,
                    line,
                    f"proposal source: no op-ed '{slug}'",
                    did_you_mean(slug, sorted(articles), "articles"),
                )
            )
        elif anchor not in articles[slug].anchors:
            errors.append(
                BuildError(
                    entry.source.path,
                    line,
                    f"proposal source: op-ed '{slug}' has no passage '#{anchor}'",
                    passage_hint(anchor, articles[slug].anchors, passage_texts(articles[slug].body_html)),
                )
            )
    return errors


def check_body_links(
    entry: Entry, rendered: RenderedBody, anchors_by_url: dict[str, frozenset[str]], draft_urls: set[str]
) -> list[BuildError]:
    errors = [
        BuildError(entry.source.path, entry.body_line(written), problem, hint)
        for written, problem, hint in rendered.problems
    ]
    for link in rendered.links:
        errors.extend(check_link(entry, link, anchors_by_url, draft_urls))
    return errors


def check_link(
    entry: Entry, link: LinkRef, anchors_by_url: dict[str, frozenset[str]], draft_urls: set[str]
) -> list[BuildError]:
    def line() -> int:  # found only for a link that is wrong: most are fine
        return entry.body_line(link.written)

    url_path = link.url_path if "." in link.url_path.rsplit("/", 1)[-1] else link.url_path.rstrip("/") + "/"
    if url_path in draft_urls:
        return [
            BuildError(
                entry.source.path,
                line(),
                f"this links to a draft: {link.written}",
                "publish it or remove the link",
            )
        ]
    if url_path not in anchors_by_url:
        known = sorted(anchors_by_url)
        close = difflib.get_close_matches(url_path, known, n=1, cutoff=0.6)
        return [
            BuildError(
                entry.source.path,
                line(),
                f"dead link: {link.written}",
                f"did you mean {close[0]}?"
                if close
                else "link to another op-ed by its file name, e.g. (other-op-ed.md)",
            )
        ]
    anchors = anchors_by_url[url_path]
    if link.fragment and anchors and link.fragment not in anchors:
        close = difflib.get_close_matches(link.fragment, sorted(anchors), n=1, cutoff=0.4)
        hint = f"did you mean '#{close[0]}'?" if close else "open that page to find the passage's id"
        return [
            BuildError(
                entry.source.path, line(), f"dead link: {link.written} (no #{link.fragment} there)", hint
            )
        ]
    return []


def collect_authors(articles: tuple[Article, ...]) -> tuple[Author, ...]:
    by_slug: dict[str, list[Article]] = {}
    for article in articles:
        by_slug.setdefault(article.author_slug, []).append(article)
    authors = []
    for slug, written in sorted(by_slug.items()):
        with_bio = [article for article in written if article.bio]
        authors.append(
            Author(
                slug=slug,
                name=written[0].author,
                bio=with_bio[0].bio if with_bio else "",
                bio_as_of_writing=bool(with_bio) and with_bio[0].bio_as_of_writing,
                photo=next((article.photo for article in reversed(written) if article.photo), ""),
                social=tuple(sorted({handle for article in written for handle in article.social})),
                article_slugs=tuple(article.slug for article in written),
            )
        )
    return tuple(authors)


def generated_paths(authors: tuple[Author, ...]) -> dict[str, frozenset[str]]:
    """Pages the generator makes that bodies may link to (their anchors are not checked)."""
    paths = ["/", "/chapters/", "/authors/", "/manifesto/", "/feed.xml"]
    paths += [author.url_path for author in authors]
    return {path: frozenset() for path in paths}


@dataclass(frozen=True)
class BodyJob:
    key: str
    text: str
    context: LinkContext


TOO_DEEP = RenderedBody(
    html=Markup(""),
    anchors=frozenset(),
    links=(),
    problems=(
        (
            "",
            "the Markdown is nested too deeply to convert (lists or quotes hundreds of levels inside each other)",
            "flatten the nesting: indent list items at most a few levels",
        ),
    ),
    word_count=0,
    manifesto_marks=(),
)


def render_body_jobs(jobs: Sequence[BodyJob]) -> list[tuple[str, RenderedBody]]:
    renderer = BodyRenderer()
    results = []
    for job in jobs:
        try:
            results.append((job.key, renderer.render(job.text, job.context)))
        except RecursionError:
            results.append((job.key, TOO_DEEP))
            renderer = BodyRenderer()  # the failed conversion may have left it half-way
    return results


def render_body_jobs_in_worker(
    indexes: Sequence[int],
) -> list[tuple[str, RenderedBody]]:
    jobs: list[BodyJob] = worker_inputs()
    return render_body_jobs([jobs[index] for index in indexes])


def render_bodies(
    entries: list[Entry], url_for_source: dict[str, str], base_path: str, memo: Memo
) -> dict[str, tuple[str, RenderedBody]]:
    """Each entry's body as HTML, with the key it is memoised by ("body": a digest of the file's path,
    its text, the base path and every page's address), by page address. The bodies not kept are
    converted together, over several processes when it pays."""
    addresses = hashlib.sha256(repr(sorted(url_for_source.items())).encode()).hexdigest()
    keyed = {
        url_path_of(entry.source.kind, entry.slug): (
            hashlib.sha256(
                "\0".join((entry.source.path.as_posix(), entry.body_digest, base_path, addresses)).encode()
            ).hexdigest(),
            entry,
        )
        for entry in entries
    }
    by_key = {key: (url_path, entry) for url_path, (key, entry) in keyed.items()}

    def convert(missing: list[str]) -> dict[str, RenderedBody]:
        jobs = []
        for key in missing:
            url_path, entry = by_key[key]
            folder = PurePosixPath(entry.source.path.parent.as_posix())
            jobs.append(BodyJob(key, entry.body, LinkContext(base_path, url_path, folder, url_for_source)))
        return dict(
            map_in_processes(render_body_jobs_in_worker, range(len(jobs)), jobs) or render_body_jobs(jobs)
        )

    rendered = memo.get_many("body", by_key, convert)
    return {url_path: (key, rendered[key]) for url_path, (key, _) in keyed.items()}


def parse_site(
    sources: Sources,
    *,
    drafts: bool = False,
    base_path: str = "",
    memo: Memo | None = None,
    publish: bool = False,
) -> Site:
    """Check everything and build the model; every problem of the run is raised together. Front matter
    and converted Markdown are memoised in ``memo`` (parse_entries, render_bodies).

    A placeholder left in site.yaml (unfinished_fields) is one of the problems when ``publish``, else
    one of the site's ``warnings``."""
    memo = memo if memo is not None else Unmemoised()
    errors: list[BuildError] = []
    config: SiteConfig | None = None
    unfinished: list[BuildError] = []
    try:
        config = parse_config(sources.config)
        unfinished = unfinished_fields(sources.config)
    except (BuildError, ExceptionGroup) as error:
        errors.extend(error.exceptions if isinstance(error, ExceptionGroup) else [error])
    # Placeholders stop publishing, but not the checks: each pass reports them with its other problems.
    blocking = unfinished if publish else []

    def stop_if_any(found: list[BuildError]) -> None:
        if found:
            raise_if_any([*blocking, *found])

    codes = tuple(language.code for language in config.languages) if config else None
    all_entries, entry_errors = parse_entries(sources.files, memo, codes)
    errors.extend(entry_errors)
    entries = [entry for entry in all_entries if entry.translation is None]
    translated = [entry for entry in all_entries if entry.translation is not None]
    errors.extend(check_unique_slugs(entries))
    errors.extend(check_unique_titles(entries))
    errors.extend(check_images(sources.assets))
    stop_if_any(errors)
    assert config is not None

    published = [entry for entry in entries if drafts or not entry.draft]
    draft_entries = [entry for entry in entries if entry.draft and not drafts]
    # Drafts have addresses too, so that a link to one is reported as such, not as a missing file.
    url_for_source = {
        entry.source.path.as_posix(): url_path_of(entry.source.kind, entry.slug) for entry in entries
    }
    keyed_bodies = render_bodies(published, url_for_source, base_path, memo)
    rendered = {url_path: body for url_path, (_, body) in keyed_bodies.items()}

    chapter_entries = [entry for entry in published if entry.source.kind == "chapters"]
    chapter_slugs = sorted(entry.slug for entry in chapter_entries)
    chapters = tuple(
        sorted(
            (make_chapter(entry, rendered[url_path_of("chapters", entry.slug)]) for entry in chapter_entries),
            key=lambda chapter: (chapter.order, chapter.slug),
        )
    )
    chapter_rank = {chapter.slug: rank for rank, chapter in enumerate(chapters)}
    article_entries = [entry for entry in published if entry.source.kind == "articles"]
    pictures = {asset.url_path for asset in sources.assets if asset.path.is_relative_to(IMAGES_FOLDER)}
    for entry in article_entries:
        errors.extend(check_chapter_refs(entry, chapter_slugs))
        errors.extend(check_named_pictures(entry, pictures))
    errors.extend(check_authors(article_entries))
    stop_if_any(errors)
    articles = tuple(
        sorted(
            (
                make_article(
                    entry,
                    *keyed_bodies[url_path_of("articles", entry.slug)],
                    sources.committed.get(entry.source.path.as_posix()),
                )
                for entry in article_entries
            ),
            key=lambda a: (chapter_rank[a.chapter], a.order, a.title.casefold(), a.slug),
        )
    )
    pages = tuple(
        Page(
            slug=entry.slug,
            title=entry.values["title"],
            summary=entry.values.get("summary", ""),
            body_html=rendered[url_path_of("pages", entry.slug)].html,
            source_path=entry.source.path,
            draft=entry.draft,
            show_contact=entry.values.get("show_contact", False),
            aliases=alias_paths(entry),
        )
        for entry in sorted(published, key=lambda entry: entry.slug)
        if entry.source.kind == "pages"
    )
    authors = collect_authors(articles)

    by_slug = {article.slug: article for article in articles}
    draft_slugs = {entry.slug for entry in draft_entries if entry.source.kind == "articles"}
    for entry in chapter_entries:
        errors.extend(check_proposal_sources(entry, by_slug, draft_slugs))
    anchors_by_url = {url_path: body.anchors for url_path, body in rendered.items()}
    anchors_by_url |= generated_paths(authors)
    anchors_by_url |= {asset.url_path: frozenset() for asset in sources.assets}
    draft_urls = {url_path_of(entry.source.kind, entry.slug) for entry in draft_entries}
    for entry in published:
        errors.extend(
            check_body_links(
                entry, rendered[url_path_of(entry.source.kind, entry.slug)], anchors_by_url, draft_urls
            )
        )
    errors.extend(check_nav(sources.config, config, anchors_by_url))
    errors.extend(check_aliases(entries, authors))
    formats, format_errors = campaign_formats(sources, config)
    errors.extend(format_errors)
    brand, brand_errors = brand_logo(sources, config)
    errors.extend(brand_errors)
    config = dataclasses.replace(config, brand=brand)
    raise_if_any([*blocking, *errors])
    warnings = [
        *(
            warning
            for entry in chapter_entries
            for warning in unfiled_citations(entry, rendered[url_path_of("chapters", entry.slug)], by_slug)
        ),
        *(
            warning
            for entry in article_entries
            for warning in credit_without_photo(entry, by_slug[entry.slug])
        ),
    ]
    made_from = sources_digest(sources.config, entries, drafts=drafts, base_path=base_path)
    site = Site(
        config,
        chapters,
        articles,
        pages,
        authors,
        made_from,
        warnings=tuple(warnings),
        unfinished=tuple(unfinished),
        formats=formats,
    )
    if not config.languages:
        return site
    in_languages: dict[str, Site] = {}
    for version in config.languages[1:]:
        own = [
            entry for entry in translated if entry.translation and entry.translation.language == version.code
        ]
        found, language_errors = language_site(site, version, entries, own, sources, base_path, memo, drafts)
        in_languages[version.code] = found
        errors.extend(language_errors)
    raise_if_any([*blocking, *errors])
    return dataclasses.replace(site, in_languages=in_languages)


def merged_entry(source: Entry, translation: Entry) -> Entry:
    """A translation with what it does not set taken from its source (translations.TRANSLATED_FIELDS):
    its own title, summary and body, its source's author, date and chapter. Inherited fields are reported
    at the translation's first line."""
    values = {**source.values, **translation.values}
    values.pop("slug", None)  # the translation's address is its own (language_site), its slug its source's
    front_matter = FrontMatter(
        source.slug,
        values,
        translation.front_matter.field_lines,
        translation.front_matter.first_line,
    )
    key = hashlib.sha256(f"{source.front_matter_key}\0{translation.front_matter_key}".encode()).hexdigest()
    return dataclasses.replace(translation, front_matter=front_matter, front_matter_key=key)


def language_site(
    site: Site,
    version: LanguageVersion,
    entries: list[Entry],
    translated: list[Entry],
    sources: Sources,
    base_path: str,
    memo: Memo,
    drafts: bool,
) -> tuple[Site, list[BuildError]]:
    """The site in another language: each op-ed, chapter and page with a translation in it (published,
    as its source is) in that language, at /<code>/…; the others as the default language has them,
    marked with its code (``language``), their pages not made again. Translated bodies and proposals
    are checked here; the rest was checked in the default language."""
    code, default = version.code, site.config.default_language
    errors: list[BuildError] = []
    by_path = {entry.source.path: entry for entry in entries}
    merged: dict[Path, Entry] = {}
    addresses: dict[str, str] = {}  # an item's address in the default language -> its address in this one
    for translation in translated:
        assert translation.translation is not None
        source = by_path.get(translation.translation.source_path)
        if source is None:
            errors.append(
                BuildError(
                    translation.source.path,
                    None,
                    f"this is named as a translation of {translation.translation.source_path.name}, "
                    "but there is no such file",
                    f"a translation lies beside the file it translates, named as it is with  .{code}  "
                    "before .md; rename it, or add the file in the default language",
                )
            )
            continue
        if (source.draft or translation.draft) and not drafts:
            continue  # not published: the reader sees the default language's text, or nothing
        entry = merged_entry(source, translation)
        merged[source.source.path] = entry
        kind = source.source.kind
        address = f"/{code}" + url_path_of(kind, translation.values.get("slug") or source.slug)
        if address in addresses.values():
            errors.append(
                BuildError(
                    translation.source.path,
                    translation.field_line("slug"),
                    f"the address {address} is already another translation's",
                    "give one of them another  slug: …",
                )
            )
        addresses[url_path_of(kind, source.slug)] = address
    errors.extend(check_unique_titles(list(merged.values())))
    url_for_source = {
        entry.source.path.as_posix(): addresses.get(url_path_of(entry.source.kind, entry.slug))
        or url_path_of(entry.source.kind, entry.slug)
        for entry in entries
    }
    url_for_source |= {
        entry.source.path.as_posix(): url_for_source[path.as_posix()] for path, entry in merged.items()
    }
    keyed_bodies = render_bodies(list(merged.values()), url_for_source, base_path, memo)

    def made(item: Article | Chapter | Page, maker: Callable[[Entry, str, RenderedBody], Any]) -> Any:
        entry = merged.get(item.source_path)
        if entry is None and isinstance(item, Chapter):
            cites = tuple(dataclasses.replace(p, language=default) for p in item.proposals)
            return dataclasses.replace(item, language=default, proposals=cites)
        if entry is None:
            return dataclasses.replace(item, language=default)
        neutral = url_path_of(entry.source.kind, entry.slug)
        key, body = keyed_bodies[neutral]
        return dataclasses.replace(
            maker(entry, key, body),
            language=code,
            address=addresses[neutral],
            translation_status=entry.values.get("translation_status", ""),
        )

    own_fields = {entry.source.path: entry.values for entry in translated}  # what each translation sets

    def chapter_of(entry: Entry, key: str, body: RenderedBody) -> Chapter:
        chapter = make_chapter(entry, body)
        if "proposals" in own_fields[entry.source.path]:
            return chapter
        # Proposals not translated cite the default language's passages, where they were checked.
        return dataclasses.replace(
            chapter, proposals=tuple(dataclasses.replace(p, language=default) for p in chapter.proposals)
        )

    def article_of(entry: Entry, key: str, body: RenderedBody) -> Article:
        committed = sources.committed.get(entry.source.path.as_posix())
        return make_article(entry, key, body, committed)

    def page_of(entry: Entry, key: str, body: RenderedBody) -> Page:
        return Page(
            slug=entry.slug,
            title=entry.values["title"],
            summary=entry.values.get("summary", ""),
            body_html=body.html,
            source_path=entry.source.path,
            draft=entry.draft,
            show_contact=entry.values.get("show_contact", False),
        )

    chapters = tuple(made(chapter, chapter_of) for chapter in site.chapters)
    articles = tuple(made(article, article_of) for article in site.articles)
    pages = tuple(made(page, page_of) for page in site.pages)
    authors = collect_authors(articles)
    by_slug = {article.slug: article for article in articles}
    anchors_by_url = {article.url_path: article.anchors for article in articles}
    anchors_by_url |= {article.url_path: article.anchors for article in site.articles}
    anchors_by_url |= {
        item.url_path: frozenset() for item in (*site.chapters, *site.pages, *chapters, *pages)
    }
    anchors_by_url |= generated_paths(authors) | generated_paths(site.authors)
    anchors_by_url |= {f"/{code}{path}": frozenset() for path in (*GENERATED_PAGES, "/feed.xml")}
    anchors_by_url |= {asset.url_path: frozenset() for asset in sources.assets}
    for entry in merged.values():
        neutral = url_path_of(entry.source.kind, entry.slug)
        errors.extend(check_body_links(entry, keyed_bodies[neutral][1], anchors_by_url, set()))
        if entry.source.kind == "chapters" and "proposals" in own_fields[entry.source.path]:
            errors.extend(check_proposal_sources(entry, by_slug, set()))

    def localized(link: Link) -> Link:
        path, hash_mark, fragment = link.url.partition("#")
        if path in addresses:
            return Link(link.label, addresses[path] + hash_mark + fragment)
        if path in (*GENERATED_PAGES, "/feed.xml"):
            return Link(link.label, f"/{code}{path}{hash_mark}{fragment}")
        return link

    config = dataclasses.replace(
        site.config,
        language=code,
        title=version.title,
        tagline=version.tagline,
        description=version.description,
        nav=version.nav if version.own_links else tuple(map(localized, version.nav)),
        calls_to_action=version.calls_to_action
        if version.own_links
        else tuple(map(localized, version.calls_to_action)),
    )
    if version.own_links:
        errors.extend(check_nav(sources.config, config, anchors_by_url))
    digest = hashlib.sha256(f"{site.sources_digest}\0{code}\0".encode())
    for entry in merged.values():
        digest.update(f"{entry.front_matter_key}\0".encode())
        if entry.source.kind != "articles":
            digest.update(f"{entry.body_digest}\0".encode())
    return (
        Site(
            config,
            chapters,
            articles,
            pages,
            authors,
            digest.hexdigest(),
            formats=site.formats,
            in_languages={default: site},  # the passages a proposal cites in the default language
        ),
        errors,
    )


def sources_digest(config: SourceFile, entries: list[Entry], *, drafts: bool, base_path: str) -> str:
    """Everything the site is made from except the text of op-eds' bodies, as one digest: site.yaml, each
    content file's path and front matter (front_matter_key), the bodies of chapters and pages, and the
    options that shape them. The parts of an op-ed its body decides (model.BODY_TEXT, BODY_MEASURES) are
    the only parts of the model it leaves out."""
    digest = hashlib.sha256(f"{drafts}\0{base_path}\0{config.text}\0".encode())
    for entry in entries:
        digest.update(f"{entry.front_matter_key}\0".encode())
        if entry.source.kind != "articles":
            digest.update(f"{entry.body_digest}\0".encode())
    return digest.hexdigest()


def check_nav(
    source: SourceFile, config: SiteConfig, anchors_by_url: dict[str, frozenset[str]]
) -> list[BuildError]:
    errors = []
    for link in (*config.nav, *config.calls_to_action):
        if link.url.startswith("/") and link.url.split("#")[0] not in anchors_by_url:
            line = next((n for n, text in enumerate(source.text.split("\n"), 1) if link.url in text), None)
            errors.append(
                BuildError(
                    source.path,
                    line,
                    f"'{link.label}' links to {link.url}, which is not a page of this site",
                    "site paths end with a slash, such as /about/",
                )
            )
    return errors
