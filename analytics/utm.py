"""UTM links for coordinators who post UGC back to social platforms (no Django import).

One vocabulary makes channels and reports add up: every value is lowercased,
accents dropped, runs of spaces and punctuation become one `_`, so "Spring Sale!"
and "spring  sale" are the same campaign. `utm_source` and `utm_medium` are
required; tags already on the URL are replaced, its other parameters kept.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from analytics.channels import UTM_FIELDS, classify, landing

MAX_URL = 2048
MAX_VALUE = 100
REQUIRED = ("source", "medium")
_SEPARATORS = re.compile(r"[^a-z0-9.+-]+")


class InvalidLink(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def normalise(value: str) -> str:
    """The one spelling of a UTM value: `Spring Sale, Été` -> `spring_sale_ete`."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _SEPARATORS.sub("_", plain.lower()).strip("_")


def build_link(url: str, **values: str) -> tuple[str, dict[str, str], str]:
    """(tagged URL, the UTM values used, the channel it will count under)."""
    parts = _checked_url(url)
    utm = {}
    for name in ("source", "medium", "campaign", "content", "term"):
        raw = (values.get(name) or "").strip()
        if not raw:
            if name in REQUIRED:
                raise InvalidLink(name, f"utm_{name} is required.")
            continue
        value = normalise(raw)
        if not value:
            raise InvalidLink(name, "Needs at least one letter or digit.")
        if len(value) > MAX_VALUE:
            raise InvalidLink(name, f"At most {MAX_VALUE} characters.")
        utm[f"utm_{name}"] = value
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in UTM_FIELDS
    ]
    query += list(utm.items())
    tagged = urlunsplit(parts._replace(query=urlencode(query)))
    return tagged, utm, classify(landing(tagged, ""))


def _checked_url(url: str):
    if not isinstance(url, str) or not url.strip():
        raise InvalidLink("url", "A URL is required.")
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidLink("url", f"At most {MAX_URL} characters.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InvalidLink("url", "Not a URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidLink("url", "An http or https URL with a host, e.g. https://shop.example/p/1.")
    if parts.username or parts.password:
        raise InvalidLink("url", "A URL with a user name or password cannot be shared.")
    return parts
