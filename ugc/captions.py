"""Hashtags and mentions from a caption, and creator handles, normalised.

Pure functions: no Django, so importers and tests use them freely.
"""

from __future__ import annotations

import re
import unicodedata

# A hashtag is "#" then letters, digits, marks or underscores (any script) with
# at least one letter ("#1" is not a tag), not preceded by a word character or
# "&" (HTML entities like &#39; are not tags).
HASHTAG = re.compile(r"(?<![\w&#])#(\w*[^\W\d_]\w*)", re.UNICODE)
# A mention is "@" then a handle: letters, digits, "_" and "." (Instagram, TikTok).
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)")


def normalise_tag(tag: str) -> str:
    return unicodedata.normalize("NFKC", tag).casefold()


# Longer ones are noise, not tags (and would not fit Asset.hashtags' 150-char items).
MAX_TAG_LENGTH = 150


def parse_hashtags(caption: str) -> list[str]:
    """Distinct hashtags in order of first use, case-folded, without "#"."""
    seen: dict[str, None] = {}
    for match in HASHTAG.finditer(caption or ""):
        tag = normalise_tag(match.group(1))
        if len(tag) <= MAX_TAG_LENGTH:
            seen.setdefault(tag, None)
    return list(seen)


def parse_mentions(caption: str) -> list[str]:
    """Distinct mentioned handles in order of first use, lower case, without "@"."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(caption or ""):
        if len(match.group(1)) <= MAX_TAG_LENGTH:
            seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def normalise_handle(handle: str) -> str:
    """ "@Jane.Doe " -> "jane.doe"."""
    return (handle or "").strip().lstrip("@").strip().lower()
