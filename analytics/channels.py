"""Which channel brought a session, by documented rules (no Django import).

A session's channel comes from its landing page's UTM parameters when it has
them, else from its referrer. The rules, first match wins:

| # | condition | channel |
|---|---|---|
| 1 | utm_medium or utm_source is `ugc_gallery` | `ugc_gallery` |
| 2 | paid medium (PAID_MEDIA: `cpc`, `paid`, `paid_social`, `cpm`...), social | `paid_social` |
|   | source or a paid-social medium | |
| 3 | paid medium with a search source, or `cpc`/`ppc`/`paid_search` | `paid_search` |
| 4 | utm_medium is `display`, `banner`, `cpm` or `cpv` | `display` |
| 5 | utm_medium or utm_source is `email`, `e-mail`, `newsletter` | `email` |
| 6 | utm_medium is `affiliate` | `affiliate` |
| 7 | a social medium (`social`, `sm`...) or a social source (`instagram`...) | `organic_social` |
| 8 | utm_medium is `organic`, or a search source (`google`...) | `organic_search` |
| 9 | utm_medium is `referral` | `referral` |
| 10 | any other UTM tags | `other` |
| 11 | no UTM; a `gclid`/`msclkid`/`wbraid`/`gbraid`/`dclid` click id | `paid_search` |
| 12 | no UTM; a `ttclid`, `twclid` or `li_fat_id` click id | `paid_social` |
| 13 | no UTM; the referrer is a search engine | `organic_search` |
| 14 | no UTM; the referrer is a social platform | `organic_social` |
| 15 | no UTM; the referrer is a webmail host | `email` |
| 16 | no UTM; another site's referrer | `referral` |
| 17 | no referrer, or one from the same host | `direct` |

Touches on our own galleries (`gallery_view`, `asset_click`, `lightbox_open`) are
`ugc_gallery` touches whatever brought the session (`touch_channel`), which is what
attribution credits the galleries with.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from analytics.events import GALLERY_TYPES

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
CHANNELS = (
    "ugc_gallery",
    "paid_social",
    "paid_search",
    "display",
    "email",
    "affiliate",
    "organic_social",
    "organic_search",
    "referral",
    "other",
    "direct",
)
UGC_GALLERY = "ugc_gallery"

PAID_MEDIA = frozenset(
    {"cpc", "ppc", "paid", "paid_social", "paidsocial", "paid-social", "paid_search",
     "paidsearch", "paid-search", "cpm", "cpv", "cpa", "ads", "ad", "display", "retargeting"}
)  # fmt: skip
SEARCH_PAID_MEDIA = frozenset({"cpc", "ppc", "paid_search", "paidsearch", "paid-search"})
SOCIAL_PAID_MEDIA = frozenset({"paid_social", "paidsocial", "paid-social"})
DISPLAY_MEDIA = frozenset({"display", "banner", "cpm", "cpv", "interstitial", "expandable"})
EMAIL_NAMES = frozenset({"email", "e-mail", "e_mail", "newsletter", "mail"})
SOCIAL_MEDIA = frozenset(
    {"social", "social-media", "social_media", "social-network", "social_network", "sm",
     "organic_social", "organic-social", "socialmedia"}
)  # fmt: skip
SOCIAL_SOURCES = frozenset(
    {"instagram", "ig", "facebook", "fb", "meta", "tiktok", "twitter", "x", "pinterest",
     "linkedin", "reddit", "youtube", "snapchat", "threads", "whatsapp", "tumblr", "vk"}
)  # fmt: skip
SEARCH_SOURCES = frozenset(
    {"google", "bing", "duckduckgo", "yahoo", "baidu", "yandex", "ecosia", "brave", "naver",
     "qwant", "startpage"}
)  # fmt: skip
# Registrable domains (and their subdomains) of referrers.
SOCIAL_HOSTS = (
    "instagram.com", "facebook.com", "fb.com", "messenger.com", "t.co", "twitter.com", "x.com",
    "tiktok.com", "pinterest.com", "pin.it", "linkedin.com", "lnkd.in", "reddit.com",
    "youtube.com", "youtu.be", "snapchat.com", "threads.net", "tumblr.com", "whatsapp.com",
    "vk.com",
)  # fmt: skip
SEARCH_HOSTS = (
    "bing.com", "duckduckgo.com", "search.yahoo.com", "baidu.com", "yandex.ru", "yandex.com",
    "ecosia.org", "search.brave.com", "naver.com", "qwant.com", "startpage.com",
)  # fmt: skip
WEBMAIL_HOSTS = (
    "mail.google.com", "outlook.live.com", "outlook.office.com", "mail.yahoo.com",
    "mail.proton.me", "webmail", "mail.aol.com",
)  # fmt: skip
SEARCH_CLICK_IDS = ("gclid", "msclkid", "wbraid", "gbraid", "dclid")
SOCIAL_CLICK_IDS = ("ttclid", "twclid", "li_fat_id")


@dataclass(frozen=True)
class Landing:
    """What a session's first event tells about where it came from."""

    utm: dict[str, str]
    click_ids: frozenset[str]
    page_host: str
    referrer_host: str


def landing(page_url: str, referrer: str) -> Landing:
    """The UTM tags (lowercased, trimmed) and hosts of a landing page and its referrer."""
    page = _split(page_url)
    params = dict(parse_qsl(page.query, keep_blank_values=False)) if page else {}
    utm = {
        name: params[name].strip().lower()[:200]
        for name in UTM_FIELDS
        if params.get(name, "").strip()
    }
    ids = frozenset(name for name in (*SEARCH_CLICK_IDS, *SOCIAL_CLICK_IDS) if name in params)
    ref = _split(referrer)
    return Landing(
        utm=utm,
        click_ids=ids,
        page_host=(page.hostname or "") if page else "",
        referrer_host=(ref.hostname or "") if ref else "",
    )


def _split(url: str):
    if not url:
        return None
    try:
        return urlsplit(url)
    except ValueError:  # an unbalanced [ in the host, say: no host to read
        return None


def classify(land: Landing) -> str:
    """The channel of a session that landed like this (the table in this module's doc)."""
    if land.utm:
        return _by_utm(land.utm.get("utm_source", ""), land.utm.get("utm_medium", ""))
    return _by_referrer(land)


def _by_utm(source: str, medium: str) -> str:
    if UGC_GALLERY in (source, medium):
        return UGC_GALLERY
    if medium in PAID_MEDIA:
        if medium in SOCIAL_PAID_MEDIA or source in SOCIAL_SOURCES:
            return "paid_social"
        if medium in SEARCH_PAID_MEDIA or source in SEARCH_SOURCES:
            return "paid_search"
    if medium in DISPLAY_MEDIA:
        return "display"
    if medium in EMAIL_NAMES or source in EMAIL_NAMES:
        return "email"
    if medium == "affiliate":
        return "affiliate"
    if medium in SOCIAL_MEDIA or source in SOCIAL_SOURCES:
        return "organic_social"
    if medium == "organic" or source in SEARCH_SOURCES:
        return "organic_search"
    if medium == "referral":
        return "referral"
    return "other"


def _by_referrer(land: Landing) -> str:
    if land.click_ids & set(SEARCH_CLICK_IDS):
        return "paid_search"
    if land.click_ids & set(SOCIAL_CLICK_IDS):
        return "paid_social"
    host = land.referrer_host
    if not host or _same_site(host, land.page_host):
        return "direct"
    if _is_search_host(host):
        return "organic_search"
    if _under(host, SOCIAL_HOSTS):
        return "organic_social"
    if _under(host, WEBMAIL_HOSTS) or host.startswith("webmail."):
        return "email"
    return "referral"


def _under(host: str, domains) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _is_search_host(host: str) -> bool:
    # google.com, google.de, google.co.uk, www.google.com.au... but not mail.google.com
    labels = host.split(".")
    if "google" in labels and labels[0] not in ("mail", "docs", "drive"):
        return True
    return _under(host, SEARCH_HOSTS)


def _same_site(host: str, page_host: str) -> bool:
    if not page_host:
        return False
    bare = host.removeprefix("www.")
    return bare == page_host.removeprefix("www.")


def touch_channel(event_type: str, session_channel: str) -> str:
    """The channel one touch counts for: our galleries' own, or the session's."""
    return UGC_GALLERY if event_type in GALLERY_TYPES else session_channel
