"""What a slug is: lowercase ASCII words joined by hyphens, safe as one path segment."""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str, *, max_words: int | None = None) -> str:
    """Turn any text into a slug; '' when nothing ASCII-alphanumeric is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower().replace("'", ""))
    if max_words is not None:
        words = words[:max_words]
    return "-".join(words)


def is_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.match(text))
