"""What a slug is: lowercase ASCII words joined by hyphens, safe as one path segment."""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_WORD = re.compile(r"[a-z0-9]+")
# A slug of a few words is first made from this much of the text (a paragraph's anchor takes six words of
# paragraphs that run to hundreds: half the time of the Markdown stage's own step).
PREFIX_CHARACTERS = 120


def slug_words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return SLUG_WORD.findall(ascii_text.lower().replace("'", ""))


def slugify(text: str, *, max_words: int | None = None) -> str:
    """Turn any text into a slug; '' when nothing ASCII-alphanumeric is left."""
    if max_words is not None and len(text) > PREFIX_CHARACTERS:
        # Each character becomes ASCII on its own, so the text's words begin as its prefix's do; only
        # the prefix's last word may be cut short, and the words before it are whole.
        words = slug_words(text[:PREFIX_CHARACTERS])
        if len(words) > max_words:
            return "-".join(words[:max_words])
    words = slug_words(text)
    if max_words is not None:
        words = words[:max_words]
    return "-".join(words)


def is_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.match(text))
