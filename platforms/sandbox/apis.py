"""The three platforms' endpoints, answered from a Sandbox with the documented shapes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
import secrets
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from platforms.sandbox.state import (
    DAY,
    IG_USER_ID,
    IG_USERNAME,
    TIKTOK_OPEN_ID,
    Reply,
    Request,
    Sandbox,
    decode_cursor,
    encode_cursor,
)

HOUR = 3600.0
WORDS = [
    "sunset",
    "coffee",
    "trail",
    "denim",
    "picnic",
    "studio",
    "garden",
    "city",
    "beach",
    "cozy",
]


def _stamp(seconds: float, pattern: str) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime(pattern)


def _trace() -> str:
    return secrets.token_urlsafe(12)


def redirect(location: str) -> Reply:
    return Reply(302, b"", {"Location": location})


def graph_error(status, message, code, subcode=None, headers=None, kind="OAuthException") -> Reply:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": _trace()}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Reply.json(status, {"error": error}, headers)


def split_fields(text: str) -> list[tuple[str, str | None]]:
    """'a,b{c,d},e' -> [(a, None), (b, 'c,d'), (e, None)], braces nested."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text + ","):
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            part = text[start:i].strip()
            if part:
                name, _, sub = part.partition("{")
                out.append((name, sub[:-1] if sub else None))
            start = i + 1
    return out


# -- Instagram (Graph API) ---------------------------------------------------------------


class Graph:
    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox

    def hashtag_id(self, name: str) -> str:
        number = int(hashlib.sha256(name.lower().encode()).hexdigest(), 16) % 10**12
        hid = f"17843{number:012d}"
        self.sb.hashtags[hid] = name.lower()
        return hid

    def node(self, post, fields: str, *, hashtag: bool) -> dict:
        rng = post.rng
        carousel = post.index % 5 == 4
        base = {
            "id": post.id,
            "caption": f"{self.caption_tag(post)} {rng.choice(WORDS)} {rng.choice(WORDS)}",
            "media_type": "CAROUSEL_ALBUM" if carousel else "IMAGE",
            "media_url": self.sb.media_url(post.id),
            "permalink": f"https://www.instagram.com/p/SB{post.id[-9:]}/",
            "timestamp": _stamp(post.created, "%Y-%m-%dT%H:%M:%S+0000"),
            "like_count": rng.randrange(0, 5000),
            "comments_count": rng.randrange(0, 200),
            "username": f"creator_{rng.randrange(10**6):06d}",
            "owner": {"id": f"1784150{rng.randrange(10**10):010d}"},
        }
        if hashtag:  # hashtag media never name their author
            base.pop("username"), base.pop("owner")
        out = {}
        for name, sub in split_fields(fields or "id"):
            if name == "children" and carousel:
                kids = [self.child(post, c, sub or "id,media_type,media_url") for c in range(2)]
                out["children"] = {"data": kids}
            elif name in base:
                out[name] = base[name]
        out.setdefault("id", post.id)
        return out

    @staticmethod
    def caption_tag(post) -> str:
        """A mention's caption @-mentions the brand; other posts carry their feed's hashtag."""
        if post.feed.startswith("mentions:"):
            return f"@{IG_USERNAME}"
        return f"#{post.feed.split(':', 1)[-1]}"

    def child(self, post, number: int, fields: str) -> dict:
        cid = f"180{post.id[3:]}"[:-1] + str(number)
        base = {
            "id": cid,
            "media_type": "IMAGE",
            "media_url": self.sb.media_url(cid),
            "thumbnail_url": self.sb.media_url(cid),
        }
        return {name: base[name] for name, _ in split_fields(fields) if name in base}

    def handle(self, req: Request, path: str, issued_by: str = "instagram") -> Reply:
        sb = self.sb
        if path == "/oauth/access_token":
            return self.oauth(req)
        token = sb.check_token(issued_by, req.token())
        if token is None:
            return graph_error(
                400,
                "Error validating access token: Session has expired or the token is invalid.",
                190,
                463,
            )
        limit = sb.graph_calls_per_hour
        used = sb.count_in_window(("graph", token.user), HOUR, limit)
        if used is None:
            sb.refused["instagram", "rate_limit"] += 1
            return graph_error(
                403, "(#4) Application request limit reached", 4, headers=self.usage(limit, limit)
            )
        sb.counts["instagram", re.sub(r"\d{6,}", "{id}", path)] += 1
        reply = self.route(req, path, token.user)
        reply.headers.update(self.usage(used, limit))
        return reply

    def usage(self, used: int, limit: int) -> dict:
        percent = math.ceil(100 * used / limit)
        regain = 60 if used >= limit else 0
        app = {"call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2}
        buc = {IG_USER_ID: [dict(app, type="instagram", estimated_time_to_regain_access=regain)]}
        return {"X-App-Usage": json.dumps(app), "X-Business-Use-Case-Usage": json.dumps(buc)}

    def route(self, req: Request, path: str, user: str) -> Reply:
        q = req.query
        parts = [p for p in path.split("/") if p]
        if parts == ["me", "accounts"]:
            account = {"id": IG_USER_ID, "username": IG_USERNAME}
            page = {"id": "1000000000000001", "instagram_business_account": account}
            return Reply.json(200, {"data": [page], "paging": {"cursors": {}}})
        if parts == ["ig_hashtag_search"]:
            return self.hashtag_search(user, q.get("q", ""))
        if len(parts) == 2 and parts[1] == "recently_searched_hashtags":
            recent = self.recent_searches(user)
            return Reply.json(200, {"data": [{"id": h} for h in recent]})
        if len(parts) == 2 and parts[1] in ("recent_media", "top_media"):
            name = self.sb.hashtags.get(parts[0])
            if name is None:
                return graph_error(
                    400,
                    f"Unsupported get request. Object with ID '{parts[0]}' does not exist",
                    100,
                    33,
                    kind="GraphMethodException",
                )
            return self.listing(
                req,
                f"hashtag:{name}",
                hashtag=True,
                top=parts[1] == "top_media",
                since=self.sb.now() - DAY,
            )
        if len(parts) == 2 and parts[1] in ("tags", "media") and parts[0] == IG_USER_ID:
            feed = f"tags:{IG_USER_ID}" if parts[1] == "tags" else f"own:{IG_USER_ID}"
            return self.listing(req, feed, hashtag=False)
        if len(parts) == 2 and parts[1] == "replies" and req.method == "POST":
            return self.reply(parts[0], req.form().get("message") or q.get("message", ""))
        if len(parts) == 2 and parts[1] == "replies":
            return self.replies_under(parts[0])
        if len(parts) == 2 and parts[1] == "mentions" and req.method == "POST":
            form = req.form()
            return self.reply(
                form.get("comment_id") or form.get("media_id", ""), form.get("message", "")
            )
        if len(parts) == 1 and parts[0] == IG_USER_ID:
            return self.account(q.get("fields", "id"))
        if len(parts) == 1:
            return self.media(parts[0], q.get("fields", "id"))
        return graph_error(400, f"Unknown path components: /{'/'.join(parts[1:])}", 2500)

    def recent_searches(self, user: str) -> list[str]:
        horizon = self.sb.now() - 7 * DAY
        searched = self.sb.searched[user]
        for hid in [h for h, t in searched.items() if t <= horizon]:
            del searched[hid]
        return list(searched)

    def hashtag_search(self, user: str, name: str) -> Reply:
        name = name.strip().lstrip("#")
        if not name:
            return graph_error(400, "(#100) The parameter q is required", 100)
        hid = self.hashtag_id(name)
        recent = self.recent_searches(user)
        if hid not in recent:
            if len(recent) >= 30:
                self.sb.refused["instagram", "hashtag_limit"] += 1
                return graph_error(
                    400,
                    "(#24) You can query a maximum of 30 unique hashtags within a 7 day period",
                    24,
                )
            self.sb.searched[user][hid] = self.sb.now()
        return Reply.json(200, {"data": [{"id": hid}]})

    def listing(
        self, req: Request, feed: str, *, hashtag: bool, top: bool = False, since: float = 0.0
    ) -> Reply:
        try:
            limit = min(int(req.query.get("limit", 25)), 50)
        except ValueError:
            return graph_error(400, "(#100) Param limit must be an integer", 100)
        indexes = [
            i
            for i in self.sb.newest_first(feed, since)
            if self.sb.post(feed, i).id not in self.sb.deleted
        ]
        if top:
            indexes.sort(key=lambda i: -self.sb.post(feed, i).rng.randrange(0, 5000))
        after = decode_cursor(req.query.get("after"))
        start = 0 if after is None else after
        if start < 0:
            return graph_error(400, "(#100) Invalid cursor", 100)
        chosen = indexes[start : start + limit]
        fields = req.query.get("fields", "id")
        data = [self.node(self.sb.post(feed, i), fields, hashtag=hashtag) for i in chosen]
        end = start + len(chosen)
        paging = {"cursors": {"before": encode_cursor(start), "after": encode_cursor(end)}}
        if end < len(indexes):
            query = {k: v for k, v in req.query.items() if k != "access_token"}
            query["after"] = encode_cursor(end)
            paging["next"] = f"{self.sb.base_url}{req.path}?{urlencode(query)}"
        return Reply.json(200, {"data": data, "paging": paging})

    def account(self, fields: str) -> Reply:
        out = {"id": IG_USER_ID}
        for name, sub in split_fields(fields):
            found = re.fullmatch(
                r"(mentioned_media|mentioned_comment)\.(?:media_id|comment_id)\((\d+)\)", name
            )
            if found:
                post = self.sb.post_by_id(found.group(2))
                if post is None or post.id in self.sb.deleted:
                    return graph_error(
                        400,
                        f"Unsupported get request. Object with ID "
                        f"'{found.group(2)}' does not exist",
                        100,
                        33,
                    )
                if found.group(1) == "mentioned_media":
                    out["mentioned_media"] = self.node(post, sub or "id", hashtag=False)
                else:
                    out["mentioned_comment"] = {
                        "id": found.group(2),
                        "text": f"@{IG_USERNAME} love it",
                        "timestamp": self.node(post, "timestamp", hashtag=False)["timestamp"],
                    }
            elif name == "username":
                out["username"] = IG_USERNAME
            elif name == "user_id":
                out["user_id"] = IG_USER_ID
        return Reply.json(200, out)

    def media(self, media_id: str, fields: str) -> Reply:
        post = self.sb.post_by_id(media_id)
        if post is None or media_id in self.sb.deleted:
            return graph_error(
                400,
                f"Unsupported get request. Object with ID '{media_id}' does "
                "not exist, cannot be loaded due to missing permissions, or does "
                "not support this operation",
                100,
                33,
                kind="GraphMethodException",
            )
        return Reply.json(200, self.node(post, fields, hashtag=post.feed.startswith("hashtag:")))

    def reply(self, target: str, message: str) -> Reply:
        if not message:
            return graph_error(400, "(#100) The parameter message is required", 100)
        if self.sb.count_in_window(("graph", "replies"), 3600.0, self.sb.replies_per_hour) is None:
            self.sb.refused["instagram", "spam"] += 1
            return graph_error(
                400,
                "You're temporarily blocked from performing this action (spam)",
                368,
                1390008,
            )
        if any(r["message"] == message for r in self.sb.replies[-20:]):
            self.sb.refused["instagram", "repeated"] += 1
            return graph_error(400, "Duplicate comment: this looks like spam", 368, 1390008)
        if self.sb.post_by_id(target) is None or target in self.sb.deleted:
            return graph_error(
                400, f"Unsupported post request. Object with ID '{target}' does not exist", 100, 33
            )
        reply_id = f"182{len(self.sb.replies):013d}"
        self.sb.replies.append({"id": reply_id, "target": target, "message": message})
        return Reply.json(200, {"id": reply_id})

    def replies_under(self, comment_id: str) -> Reply:
        if not any(r["id"] == comment_id for r in self.sb.replies):
            return graph_error(
                400,
                f"Unsupported get request. Object with ID '{comment_id}' does not exist",
                100,
                33,
            )
        data = [
            {
                "id": a["id"],
                "text": a["text"],
                "username": a["from"]["username"],
                "from": a["from"],
                "timestamp": _stamp(a["timestamp"], "%Y-%m-%dT%H:%M:%S+0000"),
            }
            for a in self.sb.answers.get(comment_id, [])
        ]
        return Reply.json(200, {"data": data, "paging": {"cursors": {}}})

    def oauth(self, req: Request) -> Reply:
        sb, form = self.sb, {**req.query, **req.form()}
        if form.get("client_id") != sb.app_id or form.get("client_secret") != sb.app_secret:
            return graph_error(400, "Error validating client secret.", 1)
        if form.get("grant_type") == "fb_exchange_token":
            short = sb.check_token("instagram", form.get("fb_exchange_token"))
            if short is None:
                return graph_error(400, "Error validating access token: invalid token", 190)
            return self.long_lived("instagram", short.user)
        details = sb.take_code(form.get("code", ""))
        if details is None or details.get("platform") != "instagram":
            return graph_error(400, "This authorization code has expired or been used.", 100, 36007)
        if details["redirect_uri"] != form.get("redirect_uri"):
            return graph_error(
                400,
                "Error validating verification code. Please make sure your "
                "redirect_uri is identical to the one you used in the OAuth dialog "
                "request",
                100,
            )
        token = sb.issue("instagram", IG_USER_ID, 2 * HOUR)
        return Reply.json(200, {"access_token": token, "token_type": "bearer", "expires_in": 7200})

    def dialog(self, req: Request) -> Reply:
        q = req.query
        if q.get("client_id") != self.sb.app_id or not q.get("redirect_uri"):
            return Reply(400, b"Invalid App ID or redirect_uri", {"Content-Type": "text/plain"})
        code = self.sb.new_code(platform="instagram", redirect_uri=q["redirect_uri"])
        return redirect(
            f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        )

    # -- Instagram API with Instagram Login (www / api / graph.instagram.com) -------------

    def instagram_dialog(self, req: Request) -> Reply:
        """Business Login's consent window: approves at once, redirects with code and state."""
        q = req.query
        if q.get("client_id") != self.sb.app_id or not q.get("redirect_uri"):
            return Reply(400, b"Invalid client_id or redirect_uri", {"Content-Type": "text/plain"})
        scopes = [s for s in re.split(r"[ ,]+", q.get("scope", "")) if s]
        if q.get("response_type") != "code" or "instagram_business_basic" not in scopes:
            return Reply(
                400,
                b"response_type=code and scope with instagram_business_basic are required",
                {"Content-Type": "text/plain"},
            )
        code = self.sb.new_code(
            platform="instagram_login", redirect_uri=q["redirect_uri"], scopes=scopes
        )
        return redirect(
            f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        )

    def instagram_code(self, req: Request) -> Reply:
        """api.instagram.com/oauth/access_token: the short-lived token for a code."""
        sb, form = self.sb, req.form()

        def refused(message: str) -> Reply:
            return Reply.json(
                400, {"error_type": "OAuthException", "code": 400, "error_message": message}
            )

        if req.method != "POST" or form.get("grant_type") != "authorization_code":
            return refused("Invalid grant_type: authorization_code is required")
        if form.get("client_id") != sb.app_id or form.get("client_secret") != sb.app_secret:
            return refused("Invalid platform app")
        details = sb.take_code(form.get("code", ""))
        if details is None or details.get("platform") != "instagram_login":
            return refused("This authorization code has been used or has expired")
        if details["redirect_uri"] != form.get("redirect_uri"):
            return refused("Error validating verification code (redirect_uri)")
        token = sb.issue("instagram_login", IG_USER_ID, HOUR)
        granted = {"access_token": token, "user_id": IG_USER_ID}
        return Reply.json(200, {"data": [dict(granted, permissions=",".join(details["scopes"]))]})

    def instagram_host(self, req: Request, path: str) -> Reply:
        """graph.instagram.com: tokens, the account (/me), its own media and media nodes."""
        path = "/" + path.lstrip("/")
        if path == "/access_token":
            return self.instagram_exchange(req)
        if path == "/refresh_access_token":
            return self.instagram_refresh(req)
        path = re.sub(r"^/me(?=/|$)", f"/{IG_USER_ID}", path)
        parts = [p for p in path.split("/") if p]
        if len(parts) == 1 or parts == [IG_USER_ID, "media"]:
            return self.handle(req, path, issued_by="instagram_login")
        return graph_error(400, f"Unsupported request: {path} is not on graph.instagram.com", 100)

    def instagram_exchange(self, req: Request) -> Reply:
        short = self.sb.check_token("instagram_login", req.token())
        q = req.query
        if (
            q.get("grant_type") != "ig_exchange_token"
            or q.get("client_secret") != self.sb.app_secret
        ):
            return graph_error(400, "Error validating client secret.", 1)
        if short is None:
            return graph_error(400, "Error validating access token", 190)
        return self.long_lived("instagram_login", short.user)

    def instagram_refresh(self, req: Request) -> Reply:
        token = self.sb.check_token("instagram_login", req.token())
        if req.query.get("grant_type") != "ig_refresh_token" or token is None:
            return graph_error(400, "Error validating access token", 190)
        return self.long_lived("instagram_login", token.user)

    def long_lived(self, platform: str, user: str) -> Reply:
        fresh = self.sb.issue(platform, user, 60 * DAY)
        return Reply.json(
            200, {"access_token": fresh, "token_type": "bearer", "expires_in": int(60 * DAY)}
        )


# -- TikTok ------------------------------------------------------------------------------


def tiktok_error(status: int, code: str, message: str, data=None) -> Reply:
    return Reply.json(
        status,
        {
            "data": data if data is not None else {},
            "error": {"code": code, "message": message, "log_id": _trace()},
        },
    )


def tiktok_ok(data: dict) -> Reply:
    return Reply.json(
        200, {"data": data, "error": {"code": "ok", "message": "", "log_id": _trace()}}
    )


class TikTok:
    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox

    def authorize(self, req: Request) -> Reply:
        q = req.query
        if q.get("client_key") != self.sb.app_id or q.get("code_challenge_method") != "S256":
            return Reply(
                400, b"invalid client_key or code_challenge_method", {"Content-Type": "text/plain"}
            )
        code = self.sb.new_code(
            platform="tiktok",
            redirect_uri=q.get("redirect_uri"),
            challenge=q.get("code_challenge", ""),
            scope=q.get("scope", ""),
        )
        query = urlencode({"code": code, "scopes": q.get("scope", ""), "state": q.get("state", "")})
        return redirect(f"{q.get('redirect_uri')}?{query}")

    def token(self, req: Request) -> Reply:
        sb, form = self.sb, req.form()

        def oauth_error(error: str, description: str) -> Reply:
            return Reply.json(
                400, {"error": error, "error_description": description, "log_id": _trace()}
            )

        if form.get("client_key") != sb.app_id or form.get("client_secret") != sb.app_secret:
            return oauth_error("invalid_client", "Client key or secret is incorrect.")
        if form.get("grant_type") == "refresh_token":
            old = sb.check_token("tiktok", form.get("refresh_token"), kind="refresh")
            if old is None:
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            return self.tokens(old.user, form.get("refresh_token"))
        details = sb.take_code(form.get("code", ""))
        if details is None or details.get("platform") != "tiktok":
            return oauth_error("invalid_grant", "Authorization code is expired.")
        if details["redirect_uri"] != form.get("redirect_uri"):
            return oauth_error("invalid_request", "redirect_uri does not match.")
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != details["challenge"]:
            return oauth_error("invalid_request", "Code verifier or code challenge is invalid.")
        return self.tokens(TIKTOK_OPEN_ID, None)

    def tokens(self, user: str, refresh: str | None) -> Reply:
        access = self.sb.issue("tiktok", user, DAY)
        refresh = refresh or self.sb.issue("tiktok", user, 365 * DAY, kind="refresh")
        return Reply.json(
            200,
            {
                "access_token": access,
                "expires_in": 86400,
                "open_id": user,
                "refresh_expires_in": 31536000,
                "refresh_token": refresh,
                "scope": "user.info.basic,video.list",
                "token_type": "Bearer",
            },
        )

    def handle(self, req: Request, path: str) -> Reply:
        sb = self.sb
        token = sb.check_token("tiktok", req.token())
        if token is None:
            return tiktok_error(
                401,
                "access_token_invalid",
                "The access token is invalid or not found in the request.",
            )
        if (
            sb.count_in_window(("tiktok", token.user, path), sb.tiktok_window, sb.tiktok_per_window)
            is None
        ):
            sb.refused["tiktok", "rate_limit"] += 1
            return tiktok_error(429, "rate_limit_exceeded", "API rate limit was exceeded.")
        sb.counts["tiktok", path] += 1
        fields = [f for f in req.query.get("fields", "").split(",") if f]
        if not fields:
            return tiktok_error(400, "invalid_params", "fields is required")
        if path == "/v2/user/info/" and req.method == "GET":
            user = {
                "open_id": token.user,
                "union_id": "sandbox-union-0001",
                "display_name": "Sandbox Creator",
                "avatar_url": sb.media_url("ttavatar", "tiktok"),
            }
            return tiktok_ok({"user": {k: v for k, v in user.items() if k in fields}})
        if path == "/v2/video/list/" and req.method == "POST":
            return self.video_list(req.json(), fields, token.user)
        if path == "/v2/video/query/" and req.method == "POST":
            ids = ((req.json().get("filters") or {}).get("video_ids")) or []
            if not isinstance(ids, list) or len(ids) > 20:
                return tiktok_error(400, "invalid_params", "video_ids must be a list of at most 20")
            feed = f"tiktok:{token.user}"
            found = [self.sb.post_by_id(str(i)) for i in ids]
            posts = [p for p in found if p and p.feed == feed and p.id not in sb.deleted]
            return tiktok_ok({"videos": [self.video(p, fields) for p in posts]})
        return tiktok_error(404, "invalid_params", "unknown endpoint")

    def video_list(self, body: dict, fields: list[str], user: str) -> Reply:
        count = body.get("max_count", 10)
        if not isinstance(count, int) or not 1 <= count <= 20:
            return tiktok_error(400, "invalid_params", "max_count must be between 1 and 20")
        cursor = body.get("cursor")
        feed = f"tiktok:{user}"
        posts = [self.sb.post(feed, i) for i in self.sb.newest_first(feed)]
        posts = [
            p
            for p in posts
            if p.id not in self.sb.deleted and (cursor is None or int(p.created) * 1000 < cursor)
        ]
        chosen = posts[:count]
        next_cursor = int(chosen[-1].created) * 1000 if chosen else (cursor or 0)
        return tiktok_ok(
            {
                "videos": [self.video(p, fields) for p in chosen],
                "cursor": next_cursor,
                "has_more": len(posts) > count,
            }
        )

    def video(self, post, fields: list[str]) -> dict:
        rng = post.rng
        url = f"https://www.tiktok.com/@sandbox_creator/video/{post.id}"
        base = {
            "id": post.id,
            "create_time": int(post.created),
            "cover_image_url": self.sb.media_url(f"tt{post.id}", "tiktok"),
            "share_url": url,
            "video_description": f"{rng.choice(WORDS)} #{rng.choice(WORDS)}",
            "duration": rng.randrange(5, 180),
            "height": 1024,
            "width": 576,
            "title": rng.choice(WORDS).title(),
            "embed_html": f'<blockquote class="tiktok-embed" cite="{url}" '
            f'data-video-id="{post.id}"><section></section></blockquote>',
            "embed_link": f"https://www.tiktok.com/player/v1/{post.id}",
            "like_count": rng.randrange(5000),
            "comment_count": rng.randrange(300),
            "share_count": rng.randrange(100),
            "view_count": rng.randrange(100000),
        }
        return {k: v for k, v in base.items() if k in fields or k == "id"}


# -- YouTube -----------------------------------------------------------------------------

COSTS = {
    ("GET", "/search"): 100,
    ("GET", "/videos"): 1,
    ("GET", "/channels"): 1,
    ("GET", "/commentThreads"): 1,
    ("POST", "/commentThreads"): 50,
    ("GET", "/comments"): 1,
    ("POST", "/comments"): 50,
}
PACIFIC = ZoneInfo("America/Los_Angeles")


def youtube_error(status: int, reason: str, message: str, domain: str = "youtube.quota") -> Reply:
    return Reply.json(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
            }
        },
    )


class YouTube:
    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox

    def handle(self, req: Request, path: str) -> Reply:
        sb = self.sb
        token = sb.check_token("youtube", req.token())
        if token is None:
            return youtube_error(
                401, "authError", "Request had invalid authentication credentials.", "global"
            )
        cost = COSTS.get((req.method, path))
        if cost is None:
            return youtube_error(404, "notFound", "Not Found", "global")
        day = dt.datetime.fromtimestamp(sb.now(), PACIFIC).date().isoformat()
        with sb.lock:
            if sb.units[day] + cost > sb.youtube_daily_units:
                sb.refused["youtube", "quota"] += 1
                return youtube_error(
                    403,
                    "quotaExceeded",
                    "The request cannot be completed because you have exceeded your quota.",
                )
            sb.units[day] += cost
        sb.counts["youtube", f"{req.method} {path}"] += 1
        q = req.query
        if path == "/search":
            return self.search(q)
        if path == "/videos":
            ids = [i for i in q.get("id", "").split(",") if i]
            posts = [p for p in map(sb.post_by_id, ids) if p and p.id not in sb.deleted]
            return Reply.json(
                200, self.listing("youtube#videoListResponse", [self.video(p) for p in posts])
            )
        if path == "/channels":
            channel = {
                "kind": "youtube#channel",
                "etag": "sandbox",
                "id": "UCsandbox000000000000001",
                "snippet": {"title": "Sandbox Brand", "customUrl": "@sandboxbrand"},
                "statistics": {"subscriberCount": "1200", "videoCount": "40"},
            }
            return Reply.json(200, self.listing("youtube#channelListResponse", [channel]))
        if path == "/commentThreads" and req.method == "GET":
            return Reply.json(200, self.listing("youtube#commentThreadListResponse", []))
        if path == "/comments" and req.method == "GET":
            return self.thread_replies(q.get("parentId", ""))
        if path == "/comments":
            return self.insert_reply(req.json())
        return self.insert_comment(req.json())

    def listing(self, kind: str, items: list, next_token: str | None = None, total=None) -> dict:
        body = {
            "kind": kind,
            "etag": "sandbox",
            "items": items,
            "pageInfo": {
                "totalResults": len(items) if total is None else total,
                "resultsPerPage": len(items),
            },
        }
        if next_token:
            body["nextPageToken"] = next_token
        return body

    def search(self, q: dict) -> Reply:
        try:
            per_page = min(int(q.get("maxResults", 5)), 50)
        except ValueError:
            return youtube_error(
                400, "invalidParameter", "maxResults must be an integer", "youtube.parameter"
            )
        feed = f"youtube:{(q.get('channelId') or q.get('q', '')).lower()}"
        indexes = [i for i in self.sb.newest_first(feed, self.sb.now() - 7 * DAY)]
        start = decode_cursor(q.get("pageToken")) or 0
        if start < 0:
            return youtube_error(
                400,
                "invalidPageToken",
                "The request specifies an invalid page token.",
                "youtube.parameter",
            )
        chosen = indexes[start : start + per_page]
        items = [
            {
                "kind": "youtube#searchResult",
                "etag": "sandbox",
                "id": {"kind": "youtube#video", "videoId": self.sb.post(feed, i).id},
                "snippet": self.snippet(self.sb.post(feed, i)),
            }
            for i in chosen
        ]
        more = start + per_page < len(indexes)
        body = self.listing(
            "youtube#searchListResponse",
            items,
            encode_cursor(start + per_page) if more else None,
            total=len(indexes),
        )
        body["regionCode"] = "US"
        return Reply.json(200, body)

    def snippet(self, post) -> dict:
        thumb = f"{self.sb.base_url}/__media/yt{post.id}.jpg"
        when = _stamp(post.created, "%Y-%m-%dT%H:%M:%SZ")
        return {
            "publishedAt": when,
            "channelId": "UCcreator0000000000000001",
            "title": f"{post.rng.choice(WORDS).title()} haul",
            "description": "sandbox video",
            "thumbnails": {"high": {"url": thumb, "width": 480, "height": 360}},
            "channelTitle": "Sandbox Creator",
            "liveBroadcastContent": "none",
            "publishTime": when,
        }

    def video(self, post) -> dict:
        embed = (
            f'<iframe width="480" height="270" src="//www.youtube.com/embed/{post.id}" '
            'frameborder="0" allowfullscreen></iframe>'
        )
        return {
            "kind": "youtube#video",
            "etag": "sandbox",
            "id": post.id,
            "snippet": self.snippet(post),
            "statistics": {
                "viewCount": str(post.rng.randrange(10**5)),
                "likeCount": str(post.rng.randrange(10**4)),
                "commentCount": str(post.rng.randrange(500)),
            },
            "player": {"embedHtml": embed},
        }

    def insert_comment(self, body: dict) -> Reply:
        snippet = body.get("snippet") or {}
        text = (((snippet.get("topLevelComment") or {}).get("snippet")) or {}).get("textOriginal")
        post = self.sb.post_by_id(str(snippet.get("videoId", "")))
        if post is None or post.id in self.sb.deleted:
            return youtube_error(
                404,
                "videoNotFound",
                "The video identified by the videoId parameter could not be found.",
                "youtube.commentThread",
            )
        if not text:
            return youtube_error(
                400,
                "commentTextRequired",
                "The comment must contain text.",
                "youtube.commentThread",
            )
        thread_id = f"Ug{len(self.sb.replies):022d}"
        self.sb.replies.append({"id": thread_id, "target": post.id, "message": text})
        return Reply.json(
            200,
            {
                "kind": "youtube#commentThread",
                "etag": "sandbox",
                "id": thread_id,
                "snippet": {
                    "videoId": post.id,
                    "topLevelComment": {
                        "kind": "youtube#comment",
                        "id": thread_id,
                        "snippet": {"textOriginal": text, "textDisplay": text},
                    },
                },
            },
        )

    def insert_reply(self, body: dict) -> Reply:
        snippet = body.get("snippet") or {}
        parent, text = str(snippet.get("parentId", "")), snippet.get("textOriginal")
        if not any(r["id"] == parent for r in self.sb.replies):
            return self.comment_not_found()
        if not text:
            return youtube_error(
                400, "commentTextRequired", "The comment must contain text.", "youtube.comment"
            )
        reply_id = f"{parent}.{len(self.sb.replies):010d}"
        self.sb.replies.append({"id": reply_id, "target": parent, "message": text})
        comment = {"kind": "youtube#comment", "etag": "sandbox", "id": reply_id}
        comment["snippet"] = {"parentId": parent, "textOriginal": text, "textDisplay": text}
        return Reply.json(200, comment)

    def thread_replies(self, parent: str) -> Reply:
        if not any(r["id"] == parent for r in self.sb.replies):
            return self.comment_not_found()
        items = [
            {
                "kind": "youtube#comment",
                "etag": "sandbox",
                "id": a["id"],
                "snippet": {
                    "parentId": parent,
                    "textOriginal": a["text"],
                    "textDisplay": a["text"],
                    "authorDisplayName": f"@{a['from']['username']}",
                    "authorChannelId": {"value": a["from"]["id"]},
                    "publishedAt": _stamp(a["timestamp"], "%Y-%m-%dT%H:%M:%SZ"),
                },
            }
            for a in self.sb.answers.get(parent, [])
        ]
        return Reply.json(200, self.listing("youtube#commentListResponse", items))

    def comment_not_found(self) -> Reply:
        return youtube_error(
            404,
            "commentNotFound",
            "The comment identified by the parentId parameter could not be found.",
            "youtube.comment",
        )

    def authorize(self, req: Request) -> Reply:
        q = req.query
        code = self.sb.new_code(platform="youtube", redirect_uri=q.get("redirect_uri"))
        return redirect(
            f"{q.get('redirect_uri')}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        )

    def token(self, req: Request) -> Reply:
        sb, form = self.sb, req.form()

        def oauth_error(error: str, description: str) -> Reply:
            return Reply.json(400, {"error": error, "error_description": description})

        if form.get("client_id") != sb.app_id or form.get("client_secret") != sb.app_secret:
            return oauth_error("invalid_client", "The OAuth client was not found.")
        if form.get("grant_type") == "refresh_token":
            old = sb.check_token("youtube", form.get("refresh_token"), kind="refresh")
            if old is None:
                return oauth_error("invalid_grant", "Token has been expired or revoked.")
            return Reply.json(
                200,
                {
                    "access_token": sb.issue("youtube", old.user, HOUR),
                    "expires_in": 3599,
                    "token_type": "Bearer",
                    "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                },
            )
        details = sb.take_code(form.get("code", ""))
        if (
            details is None
            or details.get("platform") != "youtube"
            or details["redirect_uri"] != form.get("redirect_uri")
        ):
            return oauth_error("invalid_grant", "Malformed auth code.")
        return Reply.json(
            200,
            {
                "access_token": sb.issue("youtube", "UCsandbox", HOUR),
                "expires_in": 3599,
                "token_type": "Bearer",
                "refresh_token": sb.issue("youtube", "UCsandbox", 180 * DAY, "refresh"),
                "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
            },
        )
