"""One HTTP client under every platform client: timeouts, JSON checks, usage pacing.

Tokens travel in the Authorization header (or a form body), never in the URL, so
no request line that httpx or a proxy logs carries one; messages built here name
the platform and the path only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from platforms.errors import MalformedResponse, PlatformUnavailable, RateLimited

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass
class Answer:
    """A parsed platform answer: status, JSON body (a dict) and headers."""

    status: int
    body: dict
    headers: httpx.Headers


class Transport:
    """Sends a call and hands back an Answer, or raises a typed error.

    `raise_for` is the platform's own reading of an error answer (each client has one);
    it is called for every answer and raises when the answer is an error.
    """

    def __init__(
        self,
        platform: str,
        base_url: str,
        raise_for: Callable[[Answer], None],
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        http: httpx.Client | None = None,
    ):
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.raise_for = raise_for
        self.http = http or httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: dict | None = None,
        data: dict | None = None,
        json_body: Any = None,
        url: str | None = None,
    ) -> Answer:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        target = url or f"{self.base_url}{path}"
        try:
            response = self.http.request(
                method, target, params=params, data=data, json=json_body, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise PlatformUnavailable(self.platform, f"{path}: timed out") from exc
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(
                self.platform, f"{path}: connection failed ({type(exc).__name__})"
            ) from exc
        answer = Answer(
            response.status_code, parse_json(self.platform, path, response), response.headers
        )
        self.raise_for(answer)
        if answer.status >= 500:
            raise PlatformUnavailable(
                self.platform, f"{path}: HTTP {answer.status}", status=answer.status
            )
        return answer


def parse_json(platform: str, path: str, response: httpx.Response) -> dict:
    """The body as a JSON object; anything else (HTML, cut short, a list) is MalformedResponse."""
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        if response.status_code >= 500:
            raise PlatformUnavailable(
                platform, f"{path}: HTTP {response.status_code}", status=response.status_code
            ) from exc
        raise MalformedResponse(
            platform, f"{path}: answer is not JSON (HTTP {response.status_code})"
        ) from exc
    if not isinstance(body, dict):
        raise MalformedResponse(
            platform, f"{path}: answer is a {type(body).__name__}, not an object"
        )
    return body


def expect(platform: str, value: Any, kind: type | tuple, where: str) -> Any:
    """`value` when it has the documented type, else MalformedResponse naming the field."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedResponse(
            platform, f"{where} is {type(value).__name__}, expected {_name(kind)}"
        )
    return value


def _name(kind) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


@dataclass
class Page:
    """One page of a listing and the cursor that resumes after it (None at the end)."""

    items: list[dict]
    cursor: str | None


def paginate(fetch: Callable[[str | None], Page], cursor: str | None = None) -> Iterator[Page]:
    """Pages from `cursor` to the end. Each page's `cursor` is where a caller resumes."""
    while True:
        page = fetch(cursor)
        yield page
        if not page.cursor or page.cursor == cursor:
            return
        cursor = page.cursor


@dataclass
class SlidingWindow:
    """At most `limit` calls in any `window` seconds: `acquire` waits for a free slot.

    For limits a platform documents but does not report in headers (TikTok's 600
    requests a minute per endpoint): the client counts for itself.
    """

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _sent: deque = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = self.clock()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                # The platform counts a call when it arrives, a little after it leaves
                # here: the margin keeps the two windows from disagreeing at the edge.
                self.sleep(self.window - (now - self._sent[0]) + max(0.05 * self.window, 0.05))


@dataclass
class UsageGauge:
    """Pacing by a platform's usage header (percent of a limit used, 0-100).

    The gauge remembers the last reading and the step one call added, and refuses
    (RateLimited, before sending) a call that would take the usage past `ceiling`.
    """

    platform: str
    ceiling: float = 100.0
    percent: float = 0.0
    step: float = 0.0
    regain_seconds: float = 0.0
    window_seconds: float = 3600.0

    def read(self, percent: float | None, regain_seconds: float = 0.0) -> None:
        if percent is None:
            return
        if percent > self.percent:
            self.step = max(self.step, percent - self.percent)
        self.percent = percent
        self.regain_seconds = regain_seconds

    def check(self) -> None:
        if self.percent + max(self.step, 0.0) > self.ceiling:
            wait = self.regain_seconds or self.window_seconds * max(self.step, 1.0) / 100.0
            raise RateLimited(
                self.platform,
                f"usage at {self.percent:g}% of the limit; pausing before the next call",
                retry_after=wait,
            )
