"""The one error this package raises for bad input."""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages, which finds it by this name. This package
    imports no Django: the workspace translates the stored message (core/reasons.py)."""
    return message


def phrase(msgid: str) -> dict:
    """A parameter translated in its turn (a format's label, a step's name)."""
    return {"msgid": msgid, "params": {}}


class MediaRejected(Exception):
    """A file we refuse, with a sentence for the coordinator: `reason` in English
    (stored as failure_reason) and `message`, its msgid and named parameters, stored
    beside it to be shown in the coordinator's language (core/reasons.py)."""

    def __init__(self, msgid: str, *, code: str = "rejected", **params: Any):
        self.message = {"msgid": msgid, "params": params}
        self.reason = _english(self.message)
        self.code = code
        super().__init__(self.reason)


def _english(message: dict) -> str:
    params = {
        name: _english(value) if isinstance(value, dict) else value
        for name, value in message["params"].items()
    }
    return message["msgid"] % params
