"""The channel rules (analytics/channels.py), table-driven, and device classes."""

import pytest

from analytics.channels import classify, landing, touch_channel
from analytics.useragents import device_class, is_bot

PAGE = "https://shop.example/p/x"


@pytest.mark.parametrize(
    ("query", "referrer", "channel"),
    [
        ("utm_source=ugc_gallery&utm_medium=email", "", "ugc_gallery"),
        ("utm_source=instagram&utm_medium=cpc", "", "paid_social"),
        ("utm_source=newsletter&utm_medium=paid_social", "", "paid_social"),
        ("utm_source=google&utm_medium=cpc", "https://www.google.com/", "paid_search"),
        ("utm_source=partner&utm_medium=ppc", "", "paid_search"),
        ("utm_source=network&utm_medium=display", "", "display"),
        ("utm_source=newsletter&utm_medium=email", "", "email"),
        ("utm_source=Newsletter&utm_medium=E-Mail", "", "email"),
        ("utm_source=blogger&utm_medium=affiliate", "", "affiliate"),
        ("utm_source=ig&utm_medium=social", "https://l.instagram.com/", "organic_social"),
        ("utm_source=TikTok", "", "organic_social"),
        ("utm_source=bing&utm_medium=organic", "", "organic_search"),
        ("utm_source=partner&utm_medium=referral", "", "referral"),
        ("utm_source=flyer&utm_medium=print", "", "other"),
        ("gclid=abc", "https://www.google.com/", "paid_search"),
        ("ttclid=abc", "", "paid_social"),
        ("", "https://www.google.co.uk/", "organic_search"),
        ("", "https://duckduckgo.com/", "organic_search"),
        ("", "https://l.instagram.com/", "organic_social"),
        ("", "https://t.co/xyz", "organic_social"),
        ("", "https://mail.google.com/mail/u/0/", "email"),
        ("", "https://blog.example/review", "referral"),
        ("", "https://www.shop.example/cart", "direct"),
        ("", "", "direct"),
    ],
)
def test_channel_rules(query, referrer, channel):
    url = f"{PAGE}?{query}" if query else PAGE
    assert classify(landing(url, referrer)) == channel


def test_utm_values_are_lowercased_and_trimmed():
    land = landing(f"{PAGE}?utm_source=%20Instagram%20&utm_campaign=Spring&utm_term=", "")
    assert land.utm == {"utm_source": "instagram", "utm_campaign": "spring"}


def test_a_broken_referrer_is_no_referrer():
    assert classify(landing(PAGE, "https://[broken/")) == "direct"


def test_gallery_touches_are_ugc_gallery_whatever_brought_the_session():
    assert touch_channel("asset_click", "organic_search") == "ugc_gallery"
    assert touch_channel("lightbox_open", "direct") == "ugc_gallery"
    assert touch_channel("page_view", "organic_search") == "organic_search"


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", "mobile"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131.0 Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1", "tablet"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X200) Chrome/131.0 Safari/537.36", "tablet"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36", "desktop"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15", "desktop"),
        ("curl/8.0", "other"),
        ("", "other"),
    ],
)
def test_device_classes(agent, device):
    assert device_class(agent) == device


def test_bots_by_name_and_not_people():
    assert is_bot("Mozilla/5.0 (compatible; bingbot/2.0)")
    assert is_bot("GPTBot/1.1")
    assert not is_bot("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0 Safari/537.36")
    assert not is_bot("")
