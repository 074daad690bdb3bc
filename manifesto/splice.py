"""Pages that show op-eds in full are patched after an edit, not rendered again.

The manifesto shows every op-ed's body (8 MB at 1,000 op-eds); rendering it again for one edited op-ed was
most of a rebuild's rendering. When a page is rendered, the bytes where each op-ed's body landed (its
*slots*) are noted; after an edit, only the edited op-ed's slots are replaced, and every other byte of the
last build's file stays.

That is right only if a slot holds exactly what ``manifesto_body`` gave, whatever the body: nothing in the
templates may transform it. Two checks make sure, and a page gets slots only when both pass:

- the templates (``templates_keep_bodies_whole``): every call of ``manifesto_body`` is printed as it is
  (``{{ manifesto_body(article) }}``, no filter, no expression around it), and nothing can catch a page's
  output to change it (a macro, a ``{% filter %}``, ``{% set %}`` or ``{% call %}`` block, a recursive
  loop, ``self`` or ``super()``, or including or importing a template that shows bodies);
- the rendering (``joined_with_slots``): the very next piece of text the page yields after a call is that
  call's result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import jinja2
from jinja2 import nodes

SHOWS_BODY = "manifesto_body"  # the template function that shows an op-ed's body (render.make_env)

ASSETS = "assets/"  # templates/assets/ is copied, not rendered (load.ASSET_FOLDERS)
NAMING = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)  # name another template
# Constructs whose output is caught as a value, which a template could then change.
CATCHING = (nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.AssignBlock)


@dataclass(frozen=True)
class BodySlot:
    """Where an op-ed's body is on a page: bytes ``start`` to ``end`` of the page's file."""

    slug: str
    start: int
    end: int


def catches_output(node: nodes.Node) -> bool:
    return isinstance(node, CATCHING) or (isinstance(node, nodes.For) and node.recursive)


def shows_bodies_whole(tree: nodes.Template) -> tuple[bool, bool]:
    """Whether every use of SHOWS_BODY in a template prints its result untouched; and whether it uses it."""
    uses = False

    def sound(node: nodes.Node, caught: bool) -> bool:
        nonlocal uses
        if isinstance(node, nodes.Name):
            if node.name in ("self", "super"):
                return False  # renders a block into a value
            if node.name == SHOWS_BODY:
                uses = True
                return False  # every sound use is taken below, as a call's callee
        if isinstance(node, nodes.Block) and caught:
            return False
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if (
                    isinstance(child, nodes.Call)
                    and isinstance(child.node, nodes.Name)
                    and child.node.name == SHOWS_BODY
                    and child.node.ctx == "load"
                ):
                    uses = True
                    arguments = [*child.args, *(keyword.value for keyword in child.kwargs)]
                    if caught or child.dyn_args or child.dyn_kwargs:
                        return False
                    if not all(sound(argument, caught) for argument in arguments):
                        return False
                elif not sound(child, caught):
                    return False
            return True
        inner = caught or catches_output(node)
        return all(sound(child, inner) for child in node.iter_child_nodes())

    return sound(tree, False), uses


def templates_keep_bodies_whole(env: jinja2.Environment) -> bool:
    """Whether every template of ``env`` puts op-ed bodies on its pages untouched (see the module's note):
    those outside ``assets/`` (files copied as they are), and any other that one of them names. A template
    that cannot be read or parsed fails the check: its pages are then always rendered."""
    waiting = [name for name in env.list_templates() if not name.startswith(ASSETS)]
    trees: dict[str, nodes.Template] = {}
    while waiting:
        name = waiting.pop()
        if name in trees:
            continue
        try:
            trees[name] = env.parse(*source_of(env, name))
        except (jinja2.TemplateError, OSError, UnicodeDecodeError):
            return False
        for node in trees[name].find_all(NAMING):
            if not isinstance(node.template, nodes.Const) or not isinstance(node.template.value, str):
                return False  # a name worked out when rendering: it could be any template
            waiting.append(node.template.value)
    showing = set()
    for name, tree in trees.items():
        sound, uses = shows_bodies_whole(tree)
        if not sound:
            return False
        if uses:
            showing.add(name)
    # A template that extends one showing bodies shows them too.
    parents = {
        name: {node.template.value for node in tree.find_all(nodes.Extends)} for name, tree in trees.items()
    }
    grown = True
    while grown:
        grown = False
        for name in trees.keys() - showing:
            if parents[name] & showing:
                showing.add(name)
                grown = True
    # Included or imported, a template's output can be caught and changed by the one that names it.
    return not any(
        node.template.value in showing
        for tree in trees.values()
        for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport))
    )


def source_of(env: jinja2.Environment, name: str) -> tuple[str, str]:
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source, name


def joined_with_slots(
    pieces: Iterator[str],
    calls: list[tuple[str, str]],
    stop: Callable[[], bool] | None = None,
) -> tuple[bytes, tuple[BodySlot, ...], set[str]] | None:
    """A page as UTF-8, from the pieces of text its template yields; its slots: where the bodies that
    ``manifesto_body`` gave were put; and the op-eds whose bodies were shown otherwise.

    ``calls`` is where ``manifesto_body`` notes each (slug, body) it gives; it is emptied as they are
    found. ``stop``, if given, is asked after each piece: None as soon as it says so.

    From the first body on, each piece is encoded as it comes: that gives the slots' places in bytes, and
    never holds the page's text beside its bytes (80 MB each for the manifesto of 10,000 op-eds). A page
    that shows no body is joined, then encoded, as encoding piece by piece is slower."""
    text: list[str] = []
    encoded: list[bytes] = []  # from the first body on
    slots: list[BodySlot] = []
    elsewhere: set[str] = set()
    length = 0  # of what is encoded so far
    for piece in pieces:
        if calls and not encoded:
            encoded.append("".join(text).encode("utf-8"))
            length = len(encoded[0])
        if not encoded:
            text.append(piece)
        else:
            data = piece.encode("utf-8")
            if calls:
                if len(calls) == 1 and piece == calls[0][1]:
                    slots.append(BodySlot(calls[0][0], length, length + len(data)))
                else:
                    elsewhere.update(slug for slug, _ in calls)
                calls.clear()
            encoded.append(data)
            length += len(data)
        if stop is not None and stop():
            return None
    elsewhere.update(slug for slug, _ in calls)
    calls.clear()
    return (b"".join(encoded) if encoded else "".join(text).encode("utf-8")), tuple(slots), elsewhere


def patched(
    page: bytes, slots: Sequence[BodySlot], new_bodies: dict[str, bytes]
) -> tuple[bytes, tuple[BodySlot, ...]]:
    """The page with the slots of the op-eds in ``new_bodies`` (by slug) holding their new bodies, and
    every slot where it now is. ValueError if the slots do not fit the page (it is then rendered)."""
    parts: list[bytes | memoryview] = []
    moved: list[BodySlot] = []
    view = memoryview(page)
    copied = last_end = shift = 0  # bytes of the page copied so far; where the last slot ended
    for slot in sorted(slots, key=lambda slot: slot.start):
        if not last_end <= slot.start <= slot.end <= len(page):
            raise ValueError(f"a slot of {slot.slug!r} does not fit the page")
        last_end = slot.end
        body = new_bodies.get(slot.slug)
        if body is None:
            moved.append(BodySlot(slot.slug, slot.start + shift, slot.end + shift))
            continue
        parts += (view[copied : slot.start], body)
        moved.append(BodySlot(slot.slug, slot.start + shift, slot.start + shift + len(body)))
        shift += len(body) - (slot.end - slot.start)
        copied = slot.end
    parts.append(view[copied:])
    return b"".join(parts), tuple(moved)
