"""Crawlers and device classes from a User-Agent header (no Django import).

The crawler list is short on purpose: the well-known search, SEO, social-preview
and AI crawlers, which announce themselves. Headless Chromium is NOT on it: our
own browser tests and many real monitoring tools use it, so it only counts as a
bot when ANALYTICS_HEADLESS_IS_BOT says so. More substrings can be added with
ANALYTICS_BOT_USER_AGENTS.
"""

from __future__ import annotations

import re
from functools import lru_cache

CRAWLERS = (
    "googlebot", "adsbot-google", "mediapartners-google", "google-inspectiontool",
    "storebot-google", "bingbot", "bingpreview", "slurp", "duckduckbot", "baiduspider",
    "yandexbot", "yandeximages", "applebot", "petalbot", "sogou", "exabot",
    "ahrefsbot", "semrushbot", "mj12bot", "dotbot", "rogerbot", "screaming frog",
    "facebookexternalhit", "facebookcatalog", "facebot", "meta-externalagent", "twitterbot",
    "linkedinbot", "pinterestbot", "slackbot", "discordbot", "telegrambot", "whatsapp",
    "embedly", "bytespider", "gptbot", "chatgpt-user", "oai-searchbot", "ccbot", "claudebot",
    "anthropic-ai", "perplexitybot", "amazonbot", "uptimerobot",
)  # fmt: skip
HEADLESS = "headlesschrome"
DEVICE_CLASSES = ("mobile", "tablet", "desktop", "other")


@lru_cache(maxsize=8)
def bot_pattern(extra: tuple[str, ...] = (), headless_is_bot: bool = False) -> re.Pattern:
    names = [*CRAWLERS, *(name.lower() for name in extra if name)]
    if headless_is_bot:
        names.append(HEADLESS)
    return re.compile("|".join(re.escape(name) for name in names))


def is_bot(user_agent: str, pattern: re.Pattern | None = None) -> bool:
    return bool(user_agent) and (pattern or bot_pattern()).search(user_agent.lower()) is not None


def device_class(user_agent: str) -> str:
    """`mobile`, `tablet`, `desktop` or `other`, from the tokens browsers send."""
    agent = user_agent.lower()
    if "ipad" in agent or "tablet" in agent or ("android" in agent and "mobile" not in agent):
        return "tablet"
    if "mobi" in agent or "iphone" in agent or "android" in agent:
        return "mobile"
    if any(token in agent for token in ("windows", "macintosh", "x11", "linux", "cros")):
        return "desktop"
    return "other"
