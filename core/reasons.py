"""Reasons stored in the database, shown in the reader's language.

A worker writes why an item failed (a file refused, an import row unreadable) in
no one's language: it has no request. So a reason is kept twice, side by side:

- the English sentence in the row's text column (the API and the logs read it, and
  it is all that rows written before this existed have), and
- the message it was made from, in a JSONField beside it: the msgid, marked with
  `gettext_noop` where it is written so makemessages finds it, and its named
  parameters, `{"msgid": "The %(label)s file is truncated…", "params": {"label":
  "PNG"}}`. A literal percent sign in a msgid is written `%%`.

A parameter that is itself such a dict is a phrase translated in turn (a format's
label, "plain text"); any other value is shown as it is (a library's error text, a
file name: the foreign part of a sentence whose frame is ours). A stored reason may
also be a list of messages, shown joined by "; " (an import item's reason and its
warnings).

A sentence with a count has two msgids, marked together with `ngettext_noop(singular,
plural)` (makemessages finds it by that name: core/management/commands/makemessages.py)
and stored with `"plural"` beside `"msgid"`; its number is the parameter `count`, and
ngettext picks the form ("1 page", "2 pages"; French has its own rule).

`shown(message, english)` renders it with gettext in the active language, and
falls back to the English text when there is no message or the message cannot be
rendered. The template tag `{% reason message english %}` (core/templatetags/
reasons.py) calls it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

SEPARATOR = "; "


class Plural(NamedTuple):
    """A msgid with a count: its singular and plural forms."""

    singular: str
    plural: str


def ngettext_noop(singular: str, plural: str) -> Plural:
    """Mark a counted msgid for makemessages; its number is the parameter `count`."""
    return Plural(singular, plural)


@dataclass(frozen=True)
class Reason:
    """A sentence for a person, as its msgid (or Plural) and named parameters."""

    msgid: str | Plural
    params: Mapping[str, Any] = field(default_factory=dict)
    # The English the API has always answered, where its clients may match on it and
    # it differs from the msgid's (a figure in bytes where people read megabytes).
    api_english: str = ""

    def english(self) -> str:
        return self.api_english or _render(self.stored(), translate=False)

    def stored(self) -> dict:
        return stored(self.msgid, self.params)

    def __str__(self) -> str:
        return self.english()


def stored(msgid: str | Plural, params: Mapping[str, Any] | None = None) -> dict:
    """The JSON a reason is kept as; a Reason among the params becomes its JSON too."""
    forms = (
        {"msgid": msgid.singular, "plural": msgid.plural}
        if isinstance(msgid, Plural)
        else {"msgid": msgid}
    )
    return {
        **forms,
        "params": {
            name: value.stored() if isinstance(value, Reason) else value
            for name, value in (params or {}).items()
        },
    }


def in_units(size: int, unit: int) -> int | float:
    """A byte count in a unit (2**20 for MB, as the upload page says it), a number to
    store: whole when it is, else to one decimal."""
    value = size / unit
    return int(value) if value.is_integer() else round(value, 1)


def english(message) -> str:
    """The English text of a stored message (or list of them), for the text column."""
    return _render(message, translate=False)


def shown(message, english_text: str = "") -> str:
    """The stored message in the active language; the English text when there is none.

    No English text, no reason: a row whose reason was cleared shows none, even if
    a writer forgot to clear its message."""
    if not message or not english_text:
        return english_text
    try:
        return _render(message, translate=True)
    except (KeyError, TypeError, ValueError):
        # A message whose parameters no longer fit its msgid (a msgid changed after
        # the row was written): the English written then is still right.
        return english_text


def _render(message, *, translate: bool) -> str:
    if isinstance(message, str):
        return message
    if isinstance(message, Sequence):
        return SEPARATOR.join(_render(part, translate=translate) for part in message)
    params = {
        name: _param(value, translate=translate)
        for name, value in (message.get("params") or {}).items()
    }
    text = _text(message, translate=translate)
    return text % params  # always: a msgid whose parameters were lost fails here


def _text(message: Mapping, *, translate: bool) -> str:
    msgid, plural = message["msgid"], message.get("plural")
    if not plural:
        return gettext(msgid) if translate else msgid
    count = message["params"]["count"]
    if translate:
        return ngettext(msgid, plural, count)
    return msgid if count == 1 else plural


def _param(value, *, translate: bool):
    if isinstance(value, Mapping) and "msgid" in value:
        return _render(value, translate=translate)
    if translate and isinstance(value, int | float) and not isinstance(value, bool):
        return number_format(value)  # 1,5 in French, 1.5 in English
    return value
