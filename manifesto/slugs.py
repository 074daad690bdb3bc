"""What a slug is: lowercase ASCII words joined by hyphens, safe as one path segment; and how text and
names become one."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from anyascii import anyascii

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


def name_key(name: str) -> str:
    """What makes two spellings of a name the same name: compatibility forms folded (full-width
    "Ｊｏ" is "Jo"), spaces collapsed. Nothing else: "Jose" and "José" are different names."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def name_slug(name: str) -> str:
    """A slug for a person's name, distinct for distinct names as far as letters allow: transliterated
    to ASCII (李明 → liming, Αλέξης → alexis), or, when nothing of it is left, a digest of the name."""
    key = name_key(name)
    slug = slugify(anyascii(key))
    return slug or "author-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
