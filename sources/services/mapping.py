"""A platform's post as the library's AssetInput, or the reason it cannot be one.

Instagram gives the media file (image or video; a carousel's first child stands
for the post). TikTok and YouTube give a cover image and an embed link, never the
video: such a post becomes an "embedded video", its cover going through the image
pipeline and its embed URL kept in `platform_links`.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from core.reasons import Reason
from ugc.ingest.items import AssetInput, parse_time


class ItemRefused(ValueError):
    """This post cannot be collected; str() says why in English, `why` is the same as
    a message to translate (core/reasons.py)."""

    def __init__(self, msgid: str, **params):
        self.why = Reason(msgid, params)
        super().__init__(self.why.english())


def _post(item) -> dict:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str | dict) or not item["id"]:
        raise ItemRefused(gettext_noop("the platform's answer for this post has no id"))
    return item


def instagram(item: dict, *, tags: list[str], lines: list[str]) -> AssetInput:
    item = _post(item)
    media_url, media_type = item.get("media_url", ""), item.get("media_type", "")
    if not media_url and isinstance(item.get("children"), dict):
        children = item["children"].get("data") or []
        first = next((c for c in children if isinstance(c, dict) and c.get("media_url")), None)
        if first is not None:
            media_url, media_type = first["media_url"], first.get("media_type", "")
    if not media_url:
        raise ItemRefused(
            gettext_noop(
                "the platform gave no media URL for this post (removed for copyright, or "
                "its file is not available to the API)"
            )
        )
    return AssetInput(
        platform="instagram",
        platform_id=item["id"],
        caption=item.get("caption", ""),
        # Hashtag media never name their author: the creator stays unknown.
        creator_handle=item.get("username", ""),
        permalink=item.get("permalink", ""),
        posted_at=_time(item.get("timestamp")),
        media_url=media_url,
        media_type="video" if media_type == "VIDEO" else "image",
        platform_metrics={
            "likes": item.get("like_count"),
            "comments": item.get("comments_count"),
        },
        tags=tags,
        product_line_slugs=lines,
    )


def tiktok(video: dict, *, tags: list[str], lines: list[str]) -> AssetInput:
    video = _post(video)
    cover = video.get("cover_image_url", "")
    if not cover:
        raise ItemRefused(gettext_noop("TikTok gave no cover image for this video"))
    embed = video.get("embed_link") or f"https://www.tiktok.com/player/v1/{video['id']}"
    return AssetInput(
        platform="tiktok",
        platform_id=video["id"],
        caption=video.get("video_description") or video.get("title", ""),
        permalink=video.get("share_url", ""),
        posted_at=_time(video.get("create_time")),
        media_url=cover,
        media_type="image",
        platform_metrics={
            "likes": video.get("like_count"),
            "comments": video.get("comment_count"),
            "views": video.get("view_count"),
            "shares": video.get("share_count"),
        },
        platform_links={"embed_url": embed, "cover_image_url": cover},
        tags=tags,
        product_line_slugs=lines,
    )


def youtube(item: dict, *, tags: list[str], lines: list[str]) -> AssetInput:
    item = _post(item)
    ident = item.get("id")
    video_id = ident.get("videoId") if isinstance(ident, dict) else ident
    snippet = item.get("snippet")
    if not isinstance(video_id, str) or not video_id or not isinstance(snippet, dict):
        raise ItemRefused(gettext_noop("the search result has no video id or snippet"))
    thumbnails = snippet.get("thumbnails") if isinstance(snippet.get("thumbnails"), dict) else {}
    best = next(
        (
            thumbnails[size]
            for size in ("maxres", "high", "medium", "default")
            if size in thumbnails
        ),
        {},
    )
    cover = best.get("url", "") if isinstance(best, dict) else ""
    if not isinstance(cover, str) or not cover:
        raise ItemRefused(gettext_noop("YouTube gave no thumbnail for this video"))
    title, description = str(snippet.get("title", "")), str(snippet.get("description", ""))
    return AssetInput(
        platform="youtube",
        platform_id=video_id,
        caption=f"{title}\n{description}".strip(),
        creator_handle=str(snippet.get("channelId", "")),
        creator_name=str(snippet.get("channelTitle", "")),
        permalink=f"https://www.youtube.com/watch?v={video_id}",
        posted_at=_time(snippet.get("publishedAt")),
        media_url=cover,
        media_type="image",
        platform_links={
            "embed_url": f"https://www.youtube.com/embed/{video_id}",
            "cover_image_url": cover,
        },
        tags=tags,
        product_line_slugs=lines,
    )


def _time(value):
    if value in (None, ""):
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None
