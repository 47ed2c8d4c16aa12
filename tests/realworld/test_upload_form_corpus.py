"""The real-world image corpus through the storefront's upload page: each file posted
over real HTTP (the live server) through the public form, as a shopper's browser
does (CSRF cookie and token, the consent box, a site), one file a sending, then
processed by one real worker over the embedded broker.

Each file is held to expected.json. An accepted one lands in the review queue as a
customer upload, licensed with its proof, pending moderation. A refused one is
either refused by the page (a 4xx naming the file and the reason, nothing stored)
or, when only decoding can tell (the bytes look like an image), taken in and failed
by the worker with a readable reason, never in the queue. An "any" file ends
either way, never stuck.
"""

from __future__ import annotations

import hashlib
import re
from html import unescape

import pytest
import requests

from outreach.services.uploads import CUSTOMER_UPLOAD
from tests.realworld import corpus
from tests.realworld.test_images_corpus import readable, wait_processed
from ugc.models import Asset, LicenceEntry, ModerationState, ProcessingState, RightsState, Site

pytestmark = pytest.mark.worker

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RESULT = re.compile(r'<li data-status="(\w+)">(.*?)</li>', re.S)


def _send(session: requests.Session, url: str, path) -> tuple[int, list[tuple[str, str]]]:
    """One file through the form as a browser posts it: (status, [(status, text)])."""
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    form = {"csrfmiddlewaretoken": TOKEN.search(page.text).group(1), "name": "@corpus",
            "caption": path.name, "terms": "on", "website": ""}  # fmt: skip
    with path.open("rb") as f:
        answer = session.post(url, data=form, files={"files": (path.name, f)}, timeout=120)
    return answer.status_code, [(s, unescape(t)) for s, t in RESULT.findall(answer.text)]


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_every_corpus_image_through_the_upload_page(
    start_worker, app_on_broker, storage_dirs, live_server, settings
):
    import pillow_heif
    from django.core.cache import cache

    pillow_heif.register_heif_opener()
    images = corpus.require("images")
    expectations = corpus.image_expectations()
    # One shopper sending the whole corpus in a row: above the hourly limits on purpose.
    settings.UPLOAD_LIMIT_PER_ADDRESS = settings.UPLOAD_LIMIT_PER_EMAIL = 10 * len(expectations)
    cache.clear()
    worker = start_worker(wait=False, **storage_dirs)  # it starts while the files go up
    site = Site.objects.create(name="Corpus shop", domain="corpus.example", locale="en")
    url = f"{live_server.url}/upload/{site.publishable_key}/"
    session = requests.Session()
    session.headers["Accept-Language"] = "en"

    problems, taken = [], {}
    for name, expect in sorted(expectations.items()):
        before = Asset.objects.count()
        status, results = _send(session, url, images / name)
        assert len(results) == 1, (name, status, results)
        outcome, text = results[0]
        if outcome in ("created", "duplicate"):
            assert status == 200, (name, status)
            data = (images / name).read_bytes()
            taken[name] = Asset.objects.get(content_sha256=hashlib.sha256(data).hexdigest())
            continue
        # Refused by the page: a 4xx, the file and the reason named, nothing stored.
        reason = text.split(": not accepted: ", 1)[-1]
        if not 400 <= status < 500:
            problems.append(f"{name}: refused with HTTP {status}")
        if not text.startswith(name) or not readable(reason):
            problems.append(f"{name}: refused without a readable reason ({text!r})")
        if Asset.objects.count() != before:
            problems.append(f"{name}: refused, yet an asset was stored")
        if expect == "accept":
            problems.append(f"{name}: refused by the page, expected accepted ({reason})")

    worker.wait_ready()
    wait_processed([asset.pk for asset in taken.values()], worker)

    for name, asset in sorted(taken.items()):
        asset.refresh_from_db()
        expect = expectations[name]
        queued = asset.processing_state == ProcessingState.IN_REVIEW
        if expect == "accept" and not queued:
            problems.append(f"{name}: failed by the worker ({asset.failure_reason})")
        elif expect == "reject" and queued:
            problems.append(f"{name}: in the review queue, expected refused")
        elif not queued and not readable(asset.failure_reason):
            problems.append(f"{name}: failed without a readable reason ({asset.failure_reason!r})")
        # Whatever was taken in is a customer upload with the consent as its licence, and
        # nothing is public before review.
        assert asset.source_platform == "upload" and CUSTOMER_UPLOAD in asset.tags, name
        assert asset.moderation_state == ModerationState.PENDING, name
        assert asset.rights_state == RightsState.GRANTED, name
        entry = LicenceEntry.objects.get(asset=asset)
        assert entry.via == "signed_form" and entry.proof["site_id"] == site.pk, name
        assert entry.proof["terms_sha256"] == entry.terms_version.sha256, name
    queued = sum(a.processing_state == ProcessingState.IN_REVIEW for a in taken.values())
    print(f"{len(expectations)} files: {len(expectations) - len(taken)} refused by the page, "
          f"{len(taken) - queued} failed by the worker, {queued} in the review queue")  # fmt: skip
    assert not problems, "\n".join(problems)

    assert worker.process.poll() is None, "the worker lived through the corpus"
    assert "Traceback" not in worker.log()
