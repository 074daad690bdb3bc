"""Front matter: split it from the body, parse its YAML, and check each field with its line."""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .errors import BuildError
from .slugs import is_slug

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PlainLoader(SafeLoader):  # type: ignore[misc, valid-type]
    """YAML without implicit dates: dates are checked by us, so a bad one gets a line and a hint."""


PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
}

TAG_NAMES = {
    "tag:yaml.org,2002:str": "text",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true/false",
    "tag:yaml.org,2002:null": "empty",
    "tag:yaml.org,2002:seq": "a list",
    "tag:yaml.org,2002:map": "a set of key: value lines",
}


@dataclass(frozen=True)
class Document:
    """One YAML document and where it sits in its file, so every node can be given a file line."""

    path: Path
    first_line: int  # file line of the YAML's first line
    root: yaml.Node | None

    def line_of(self, node: yaml.Node) -> int:
        return node.start_mark.line + self.first_line

    def error(self, node: yaml.Node, problem: str, hint: str = "") -> BuildError:
        return BuildError(self.path, self.line_of(node), problem, hint)


@dataclass(frozen=True)
class SplitSource:
    yaml_text: str
    yaml_first_line: int
    body: str
    body_first_line: int


def split_front_matter(text: str, path: Path) -> SplitSource:
    """The YAML between the first line's ``---`` and the next ``---`` (or ``...``) line, and the body after.

    Reads the lines of the front matter only, not the body's (a tenth of a rebuild's parsing, 10,000 times).
    """
    line_end = text.find("\n")
    if (text if line_end == -1 else text[:line_end]).strip() != "---":
        raise BuildError(
            path,
            1,
            "the file does not start with front matter",
            "the first line must be --- , then the fields (title: …), then a closing --- line",
        )
    yaml_start = line_start = line_end + 1
    line_number = 2
    while line_end != -1:
        line_end = text.find("\n", line_start)
        line = text[line_start:] if line_end == -1 else text[line_start:line_end]
        if line.rstrip() in ("---", "..."):
            return SplitSource(
                yaml_text=text[yaml_start : line_start - 1],  # "" when the YAML has no lines
                yaml_first_line=2,
                body="" if line_end == -1 else text[line_end + 1 :],
                body_first_line=line_number + 1,
            )
        line_start, line_number = line_end + 1, line_number + 1
    raise BuildError(
        path,
        1,
        "the front matter is never closed",
        "did you forget the closing --- line after the last field?",
    )


def describe_yaml_problem(error: yaml.YAMLError) -> tuple[str, str]:
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    text = f"{problem} ({context})" if context else problem
    hint = "check the indentation and quotes on this line and the one before it"
    if "\t" in str(getattr(error, "problem_mark", "")) or "tab" in text:
        hint = "YAML does not allow tab characters for indentation: use spaces"
    elif "mapping values are not allowed" in text:
        hint = 'a value containing ": " must be put in quotes, e.g. title: "Labour: the way back"'
    elif "found unexpected end of stream" in text or "quoted scalar" in text:
        hint = "a quote was opened and never closed"
    return f"invalid YAML: {text}", hint


def parse_yaml(text: str, path: Path, first_line: int) -> Document:
    try:
        root = yaml.compose(text, Loader=PlainLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else first_line
        problem, hint = describe_yaml_problem(error)
        raise BuildError(path, line, problem, hint) from None
    except yaml.YAMLError as error:
        raise BuildError(path, first_line, f"invalid YAML: {error}") from None
    return Document(path, first_line, root)


def construct(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        return node.value  # what the loader would make of it, without making a loader (most nodes)
    loader = PlainLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def type_name(node: yaml.Node) -> str:
    return TAG_NAMES.get(node.tag, node.tag)


# A field checker turns a YAML node into a value, or raises a BuildError naming the node's line.
Checker = Callable[[Document, str, yaml.Node], Any]


@dataclass(frozen=True)
class Field:
    check: Checker
    required: bool = False
    hint: str = ""


def field_name(doc: Document, node: yaml.Node) -> str:
    """A field's name: plain text only. Other keys are refused from their nodes, never made into values
    (a key of aliases nested a few levels would be billions of items)."""
    if node.tag == "tag:yaml.org,2002:merge":
        raise doc.error(
            node,
            "YAML merge keys (<<) are not supported in front matter or site.yaml",
            "write each field out on its own line",
        )
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        shown = f"'{node.value}'" if isinstance(node, yaml.ScalarNode) else type_name(node)
        raise doc.error(
            node,
            f"a field name must be plain text, not {shown} ({type_name(node)})"
            if isinstance(node, yaml.ScalarNode)
            else f"a field name must be plain text, not {shown}",
            "write field names as plain words, such as  title:  (no quotes needed, no ! tags, & or *)",
        )
    return node.value


def mapping_entries(
    doc: Document, node: yaml.Node | None, what: str
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Keys of a YAML mapping with their nodes; duplicates and non-text keys are errors."""
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise doc.error(
            node,
            f"{what} must be a set of 'key: value' lines, not {type_name(node)}",
            "write one field per line, such as  title: My title",
        )
    entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = field_name(doc, key_node)
        if key in entries:
            raise doc.error(
                key_node,
                f"'{key}' is given twice",
                f"the first is on line {doc.line_of(entries[key][0])}; keep one",
            )
        entries[key] = (key_node, value_node)
    return entries


def check_fields(
    doc: Document, node: yaml.Node | None, fields: dict[str, Field], what: str
) -> tuple[dict[str, Any], list[BuildError]]:
    """Check a mapping against its fields; every problem is returned, not just the first."""
    errors: list[BuildError] = []
    values: dict[str, Any] = {}
    try:
        entries = mapping_entries(doc, node, what)
    except BuildError as error:
        return values, [error]
    for key, (key_node, value_node) in entries.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(fields)}"
            errors.append(doc.error(key_node, f"unknown field '{key}' in {what}", hint))
            continue
        try:
            values[key] = fields[key].check(doc, key, value_node)
        except BuildError as error:
            errors.append(error)
    for key, spec in fields.items():
        if spec.required and key not in entries:
            line = doc.line_of(node) if node is not None else doc.first_line
            errors.append(
                BuildError(doc.path, line, f"{what} has no '{key}'", spec.hint or f"add a line  {key}: …")
            )
    return values, errors


def check_text(doc: Document, key: str, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
        raise doc.error(
            node,
            f"'{key}' must be text, not {type_name(node)}",
            f'put the value in quotes: {key}: "…"' if isinstance(node, yaml.ScalarNode) else "",
        )
    value = " ".join(str(node.value).split()) if "\n" not in node.value else node.value.strip()
    if not value:
        raise doc.error(node, f"'{key}' is empty", f"write the {key.replace('_', ' ')} after '{key}:'")
    return value


# Whole numbers in front matter order things: anything beyond this is a mistake (and a number of
# thousands of digits is more than Python turns text into at all).
LARGEST_WHOLE_NUMBER = 10**9


def check_int(doc: Document, key: str, node: yaml.Node) -> int:
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
        raise doc.error(
            node, f"'{key}' must be a whole number, not {type_name(node)}", f"for example  {key}: 1"
        )
    value = construct(node) if len(node.value) <= 40 else None
    if value is None or abs(value) > LARGEST_WHOLE_NUMBER:
        raise doc.error(
            node,
            f"'{key}' is too large: whole numbers here go up to {LARGEST_WHOLE_NUMBER:,}",
            f"for example  {key}: 10",
        )
    return int(value)


def check_bool(doc: Document, key: str, node: yaml.Node) -> bool:
    if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
        raise doc.error(node, f"'{key}' must be true or false, not {type_name(node)}", f"write  {key}: true")
    return bool(construct(node))


def check_date(doc: Document, key: str, node: yaml.Node) -> datetime.date:
    text = node.value if isinstance(node, yaml.ScalarNode) else None
    try:
        if not isinstance(text, str) or len(text) != 10:
            raise ValueError
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise doc.error(
            node,
            f"'{key}' is not a real date: {text!r}" if text else f"'{key}' must be a date",
            f"write it as year-month-day, e.g.  {key}: 2020-01-24 — or remove the line if the date is not known",
        ) from None


def check_slug(doc: Document, key: str, node: yaml.Node) -> str:
    value = check_text(doc, key, node)
    if not is_slug(value):
        raise doc.error(
            node,
            f"'{key}' must be lowercase letters, digits and hyphens, not {value!r}",
            "for example  fair-funding",
        )
    return value


class Alias(NamedTuple):
    """An old address of a page (``aliases:``), where the site keeps a page that sends readers on."""

    url_path: str  # "/articles/old-title/", or a file such as "/old-page.html"
    line: int


ALIAS_SEGMENT = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")


def check_alias(doc: Document, key: str, node: yaml.Node) -> Alias:
    """A path of this site: /, then segments of letters, digits, ``-_.~``; no scheme, query, ``..``.
    A path not ending in ``.html`` is a folder and ends with a slash."""
    value = check_text(doc, key, node)
    hint = "write the old address as a path of this site, such as  /articles/old-title/"
    if not value.startswith("/") or value.startswith("//"):
        raise doc.error(node, f"an alias must be a path of this site starting with /, not {value!r}", hint)
    segments = value.strip("/").split("/")
    if value.strip("/") == "" or not all(ALIAS_SEGMENT.match(segment) for segment in segments):
        raise doc.error(
            node,
            f"{value!r} is not a usable alias: letters, digits, - _ . ~ between slashes only "
            "(no ?, #, spaces, .. or empty parts)",
            hint,
        )
    url_path = "/" + "/".join(segments)
    return Alias(url_path if url_path.endswith(".html") else url_path + "/", doc.line_of(node))


def check_list(item_check: Checker) -> Checker:
    def check(doc: Document, key: str, node: yaml.Node) -> tuple[Any, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            return (item_check(doc, key, node),)  # a single value is a list of one
        if not isinstance(node, yaml.SequenceNode):
            raise doc.error(
                node, f"'{key}' must be a list, not {type_name(node)}", f"write  {key}: [first, second]"
            )
        return tuple(item_check(doc, key, item) for item in node.value)

    return check


def check_record(fields: dict[str, Field], what: str) -> Checker:
    """A nested mapping (such as one proposal), checked field by field."""

    def check(doc: Document, key: str, node: yaml.Node) -> dict[str, Any]:
        values, errors = check_fields(doc, node, fields, what)
        if errors:
            raise errors[0]
        values["_line"] = doc.line_of(node)
        return values

    return check
