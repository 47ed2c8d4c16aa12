"""Whether a reply under a rights request grants, declines or says nothing.

A reply grants only when it is the creator's own and carries the approval
hashtag as a hashtag of its own words: not inside a link, a quote or a mention,
not in a reply too long to be a comment, not with control characters hiding
text. Anything unsure is "ignore" (a person reads it in the inbox): a wrong grant
would publish someone's photo without their consent; a missed one costs a click.

Pure functions: no Django.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ugc.captions import normalise_handle, normalise_tag, parse_hashtags

GRANT, DECLINE, IGNORE = "grant", "decline", "ignore"
# Instagram's and YouTube's own comment limits are 2,200 and 10,000 characters.
MAX_REPLY_LENGTH = 10_000
URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|net|org|io|co|ly|me)/\S*", re.IGNORECASE)
QUOTED = re.compile(
    r"\"[^\"]*\"|“[^”]*”|„[^“”]*[“”]|«[^»]*»|\u2039[^\u203a]*\u203a|`[^`]*`|^\s*>.*$",
    re.MULTILINE,
)
NEGATIVE_START = re.compile(
    r"^\s*(no|nope|non|nein|never|jamais|nunca|mai|please don'?t|do not|don'?t)\b",
    re.IGNORECASE,
)
NOT_A_REFUSAL = re.compile(r"\b(problem|problème|probleme|problema|worries|soucis?)\b", re.I)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # grant, decline or ignore
    reason: str


def _has_hidden_characters(text: str) -> bool:
    """Control or format characters (zero-width, bidi overrides) can make a reply read
    differently to a person than to this function."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\r\t" for ch in text)


def own_words(text: str) -> str:
    """The reply less what the replier did not say themselves: links and quotes."""
    return QUOTED.sub(" ", URL.sub(" ", text))


def judge(
    *,
    text: str,
    author_handle: str,
    creator_handle: str,
    hashtag: str,
    author_id: str = "",
    creator_id: str = "",
    request_open: bool = True,
    deleted: bool = False,
) -> Verdict:
    """The outcome of one reply to one request."""
    if not request_open:
        return Verdict(IGNORE, "no open request")
    if deleted:
        return Verdict(IGNORE, "the reply was deleted")
    if not creator_handle or normalise_handle(author_handle or "") != creator_handle:
        return Verdict(IGNORE, "not the creator's account")
    if creator_id and author_id != creator_id:
        return Verdict(IGNORE, "not the creator's account (id differs)")
    if not isinstance(text, str) or len(text) > MAX_REPLY_LENGTH:
        return Verdict(IGNORE, "too long to be a reply")
    if _has_hidden_characters(text):
        return Verdict(IGNORE, "hidden control characters")
    words = own_words(text)
    wanted = normalise_tag(hashtag.lstrip("#"))
    if wanted in parse_hashtags(words):
        return Verdict(GRANT, "the creator replied with the approval hashtag")
    if NEGATIVE_START.search(words) and not NOT_A_REFUSAL.search(words):
        return Verdict(DECLINE, "the creator said no")
    return Verdict(IGNORE, "answered without the approval hashtag")
