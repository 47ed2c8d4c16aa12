"""Platform exports: Instagram Graph API media JSON and TikTok display-API JSON.

Both are parsed item by item: an item of the wrong shape becomes an error for
that item, and the good items around it still come through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ugc.ingest.items import AssetInput, ParsedItem, SourceError, count, parse_time

INSTAGRAM_MEDIA_TYPES = {"IMAGE": "image", "VIDEO": "video", "REELS": "video"}


def load_json(path: Path | str) -> Any:
    try:
        with Path(path).open("rb") as handle:
            return json.load(handle)
    except UnicodeDecodeError:
        raise SourceError("the JSON is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON: {exc}") from None


def detect_kind(document: Any) -> str:
    """'instagram' or 'tiktok' from a parsed export's shape."""
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, dict):  # TikTok's data is an object; Instagram's a list
        return "tiktok"
    if isinstance(document, dict | list):
        return "instagram"
    raise SourceError("not an Instagram or TikTok export")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _id(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return _text(value)


# -- Instagram --------------------------------------------------------------------


def instagram_items(document: Any) -> list[Any]:
    """The media list of a Graph API answer.

    {"data": [...], "paging": ...} (a user's media, tags, stories, hashtag
    search, carousel children), a bare list, one media object, a user's
    {"mentioned_media": {...}} or {"business_discovery": {"media": {"data": [...]}}}.
    """
    _refuse_error_answer(document, "Instagram Graph API")
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if isinstance(document.get("mentioned_media"), dict):
            return [document["mentioned_media"]]
        discovery = document.get("business_discovery")
        if isinstance(discovery, dict):
            media = discovery.get("media")
            if not isinstance(media, dict) or "data" not in media:
                raise SourceError(
                    "business_discovery has no media: ask the Graph API for the "
                    "business_discovery.username(...){media{...}} field"
                )
            return instagram_items(media)
        if "data" in document:
            if not isinstance(document["data"], list):
                raise SourceError('"data" must be a list of media objects')
            return document["data"]
        if "id" in document and "media_type" in document:
            return [document]
    raise SourceError(
        'expected Instagram Graph API media: {"data": [{"id": ..., "media_type": ..., '
        '"media_url": ...}], "paging": {...}}, {"mentioned_media": {...}} or '
        '{"business_discovery": {"media": {"data": [...]}}}'
    )


def _refuse_error_answer(document: Any, platform: str) -> None:
    """An API error saved as the export: name the platform's error, not a shape problem."""
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict) or error.get("code") == "ok":  # TikTok's success
        return
    code = error.get("code")
    kind = _text(error.get("type"))
    what = ", ".join(str(part) for part in (code, kind) if part not in (None, ""))
    message = _text(error.get("message")) or "no message"
    raise SourceError(
        f"this is a {platform} error response, not an export ({what}): {message[:300]}"
    )


def parse_instagram(document: Any) -> Iterator[ParsedItem]:
    for index, media in enumerate(instagram_items(document)):
        yield from _instagram_media(index, media)


def _instagram_media(index: int, media: Any) -> Iterator[ParsedItem]:
    where = f"data.{index}"
    if not isinstance(media, dict):
        kind = type(media).__name__
        yield ParsedItem(where, error=f"{where}: expected a media object, got {kind}")
        return
    media_id = _id(media.get("id"))
    if not media_id:
        yield ParsedItem(where, error=f"{where}.id: missing or not a string")
        return
    key = f"instagram:{media_id}"
    media_type = _text(media.get("media_type")).upper()
    try:
        posted_at = parse_time(media["timestamp"]) if media.get("timestamp") else None
    except (ValueError, OverflowError, OSError) as exc:
        yield ParsedItem(key, error=f"{where}.timestamp: {exc}")
        return
    metrics = {
        name: value
        for name, field in (("likes", "like_count"), ("comments", "comments_count"))
        if (value := count(media.get(field))) is not None
    }
    common = {
        "platform": "instagram",
        "caption": _text(media.get("caption")),
        "creator_handle": _text(media.get("username")),
        "permalink": _text(media.get("permalink")),
        "posted_at": posted_at,
        "platform_metrics": metrics,
    }
    if media_type == "CAROUSEL_ALBUM":
        children = media.get("children")
        children = children.get("data") if isinstance(children, dict) else None
        if not isinstance(children, list) or not children:
            cover = _text(media.get("media_url"))
            if cover:
                # Without its children, the album's media_url is its first picture.
                yield _instagram_item(key, where, "IMAGE", media_id, cover, common)
            else:
                yield ParsedItem(
                    key,
                    error=f"{where}: a carousel with neither children nor media_url: "
                    "ask the Graph API for children{id,media_type,media_url}",
                )
            return
        for position, child in enumerate(children):
            child_where = f"{where}.children.data.{position}"
            if not isinstance(child, dict) or not _id(child.get("id")):
                yield ParsedItem(
                    f"{key}/{position}", error=f"{child_where}: expected a media object with id"
                )
                continue
            child_type = _text(child.get("media_type")).upper() or "IMAGE"
            yield _instagram_item(
                f"instagram:{_id(child['id'])}",
                child_where,
                child_type,
                _id(child["id"]),
                _text(child.get("media_url")),
                common,
            )
        return
    yield _instagram_item(key, where, media_type, media_id, _text(media.get("media_url")), common)


def _instagram_item(key, where, media_type, media_id, media_url, common) -> ParsedItem:
    if media_type not in INSTAGRAM_MEDIA_TYPES:
        return ParsedItem(
            key,
            error=f"{where}.media_type: expected IMAGE, VIDEO or CAROUSEL_ALBUM, "
            f"got {media_type!r}",
        )
    if not media_url:
        # Hashtag recent_media answers hold only id, type and counts: nothing to show
        # or download, and no later import of this answer would bring the media.
        return ParsedItem(
            key,
            error=f"{where}.media_url: missing, so there is no media to import (the "
            "answer was requested without the media_url field; hashtag recent_media "
            "gives only id, media_type and counts)",
        )
    item = AssetInput(
        **common,
        platform_id=media_id,
        media_type=INSTAGRAM_MEDIA_TYPES[media_type],
        media_url=media_url,
    )
    problems = item.validate()
    if problems:
        return ParsedItem(key, error="; ".join(f"{where}.{f}: {m}" for f, m in problems))
    return ParsedItem(key, input=item)


# -- TikTok -----------------------------------------------------------------------


def parse_tiktok(document: Any) -> Iterator[ParsedItem]:
    """{"data": {"videos": [...], "cursor": ..., "has_more": ...}, "error": {...}}.

    The display API gives no downloadable file: videos come in as metadata (with
    their size, duration, cover image and embed link) unless an item carries a
    `video_url` or `download_url`, which is then downloaded.
    """
    _refuse_error_answer(document, "TikTok API")
    data = document.get("data") if isinstance(document, dict) else None
    videos = data.get("videos") if isinstance(data, dict) else None
    if not isinstance(videos, list):
        raise SourceError('expected TikTok display API videos: {"data": {"videos": [...]}}')
    for index, video in enumerate(videos):
        yield _tiktok_video(index, video)


def _tiktok_video(index: int, video: Any) -> ParsedItem:
    where = f"data.videos.{index}"
    if not isinstance(video, dict):
        kind = type(video).__name__
        return ParsedItem(where, error=f"{where}: expected a video object, got {kind}")
    video_id = _id(video.get("id"))
    if not video_id:
        return ParsedItem(where, error=f"{where}.id: missing or not a string")
    key = f"tiktok:{video_id}"
    try:
        created = video.get("create_time")
        posted_at = parse_time(created) if created not in (None, "") else None
    except (ValueError, OverflowError, OSError) as exc:
        return ParsedItem(key, error=f"{where}.create_time: {exc}")
    metrics = {
        name: value
        for name, field in (
            ("likes", "like_count"),
            ("comments", "comment_count"),
            ("shares", "share_count"),
            ("views", "view_count"),
        )
        if (value := count(video.get(field))) is not None
    }
    duration = video.get("duration")
    links = {
        name: url
        for name, field in (("cover_image_url", "cover_image_url"), ("embed_url", "embed_link"))
        if (url := _text(video.get(field)))
    }
    item = AssetInput(
        platform="tiktok",
        caption=_text(video.get("video_description")) or _text(video.get("title")),
        creator_handle=_text(video.get("username")),
        permalink=_text(video.get("share_url")),
        posted_at=posted_at,
        platform_id=video_id,
        platform_metrics=metrics,
        media_type="video",
        media_url=_text(video.get("video_url")) or _text(video.get("download_url")),
        width=count(video.get("width")),
        height=count(video.get("height")),
        duration_seconds=float(duration)
        if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0
        else None,
        platform_links=links,
    )
    problems = item.validate()
    if problems:
        return ParsedItem(key, error="; ".join(f"{where}.{f}: {m}" for f, m in problems))
    return ParsedItem(key, input=item)
