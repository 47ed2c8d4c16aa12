"""Rights requests on their way to creators and back: the words, the path, the
paced queue against the platform emulator over HTTP, and replies, hostile ones
included, deciding grants."""

import importlib
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from platforms.hosts import platform_urls
from platforms.models import AccountPlatform, AccountStatus, ConnectedAccount
from platforms.sandbox.server import SandboxServer
from platforms.sandbox.state import IG_USER_ID, Sandbox
from platforms.services import clients
from tests.support.platform_accounts import connect_account
from tests.ugc.factories import AssetFactory, CreatorFactory
from ugc import rights_messages
from ugc.models import RequestStage, RightsRequest, SendingPace
from ugc.rights_replies import DECLINE, GRANT, IGNORE, judge
from ugc.selectors import publishable_assets
from ugc.services import licences, rights, rights_queue

HASHTAG = "#YesAcme"


@pytest.mark.parametrize(
    ("caption", "language"),
    [
        ("Love this new jacket, it is so warm #winter", "en"),
        ("Ma nouvelle veste est très chaude avec le froid", "fr"),
        ("Meine neue Jacke ist sehr warm und ich liebe sie", "de"),
        ("Mi nueva chaqueta es muy cálida para el invierno", "es"),
        ("Il mio nuovo giubbotto è molto caldo per la neve", "it"),
        ("#ootd @acme 🔥🔥", "en"),
    ],
)
def test_the_creators_language_is_guessed_from_the_caption(caption, language):
    assert rights_messages.guess_language(caption) == language


def test_variants_rotate_longest_unused_first():
    assert rights_messages.next_variant("fr", {}) == 0
    assert rights_messages.next_variant("fr", {0: 5, 1: 3}) == 2
    assert rights_messages.next_variant("fr", {0: 5, 1: 3, 2: 9}) == 1
    for language in rights_messages.languages():
        texts = {
            rights_messages.render(
                language,
                n,
                handle="@jo",
                brand="Acme",
                hashtag=HASHTAG,
                terms_url="https://t.example",
            )
            for n in range(len(rights_messages.TEMPLATES[language]))
        }
        assert len(texts) >= 3 and all("@jo" in t and HASHTAG in t for t in texts)


def reply(text, handle="maker", **kwargs):
    return judge(
        text=text, author_handle=handle, creator_handle="maker", hashtag=HASHTAG, **kwargs
    ).outcome


HOSTILE = [
    ("someone else approving", dict(text="#YesAcme", handle="not_the_maker")),
    ("hashtag inside a link", dict(text="see https://x.example/#YesAcme")),
    ("hashtag in a bare link", dict(text="evil.com/#YesAcme")),
    ("hashtag in a quote", dict(text='you asked me to say "#YesAcme" but no thanks')),
    ("hashtag in guillemets", dict(text="« #YesAcme » ? jamais")),
    ("hashtag quoted as a line", dict(text="> reply #YesAcme\nwhat is this?")),
    ("a longer hashtag", dict(text="#YesAcmeNot")),
    ("zero-width space inside", dict(text="#Yes\u200bAcme")),
    ("right-to-left override", dict(text="\u202e#YesAcme")),
    ("control characters", dict(text="\x00#YesAcme\x07")),
    ("huge reply", dict(text="#YesAcme " + "a" * 20_000)),
    ("deleted reply", dict(text="#YesAcme", deleted=True)),
    ("reply to a closed request", dict(text="#YesAcme", request_open=False)),
    ("handle matches, id does not", dict(text="#YesAcme", author_id="9", creator_id="7")),
    ("empty handle", dict(text="#YesAcme", handle="")),
    ("a mention, not a hashtag", dict(text="@YesAcme")),
]


@pytest.mark.parametrize(("why", "case"), HOSTILE, ids=[why for why, _ in HOSTILE])
def test_hostile_replies_never_grant(why, case):
    case = dict(case)
    assert reply(case.pop("text"), case.pop("handle", "maker"), **case) != GRANT


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("#YesAcme", GRANT),
        ("Of course! #yesacme ❤️", GRANT),
        ("@Maker here: sure #YESACME", GRANT),
        ("No, please don't use it", DECLINE),
        ("Non merci", DECLINE),
        ("No problem! happy to", IGNORE),
        ("who is this?", IGNORE),
    ],
)
def test_the_creators_own_replies(text, outcome):
    assert reply(text, "@Maker") == outcome


@pytest.fixture
def sandbox_server():
    server = SandboxServer(Sandbox(seed=3, rate=0.1, replies_per_hour=2)).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings):
    settings.PLATFORM_URLS = platform_urls(sandbox_server.url)
    clients._cache.clear()
    yield sandbox_server.sandbox
    clients._cache.clear()


@pytest.fixture
def sandbox_sender(sandbox, db):
    """The brand's Instagram account, connected through the emulator's OAuth."""
    connect_account(AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN)
    return sandbox


def mentioning(sandbox, n, **fields):
    post = sandbox.post(f"mentions:{IG_USER_ID}", n)
    return AssetFactory(
        processing_state="in_review",
        moderation_state="approved",
        platform_id=post.id,
        mentions=["acme"],
        creator=CreatorFactory(handle=f"maker{n}"),
        **fields,
    )


@pytest.mark.django_db
@override_settings(RIGHTS_SEND_INTERVAL_SECONDS=600, RIGHTS_PAUSE_SECONDS=3600)
def test_requests_go_out_paced_stop_on_a_spam_block_and_resume(sandbox_sender):
    assets = [mentioning(sandbox_sender, n) for n in range(1, 4)]
    result = rights_queue.queue_many([a.pk for a in assets])
    assert len(result["queued"]) == 3  # accepted at once, sent over time
    start = timezone.now()
    assert rights_queue.send_due(start) == {"instagram": "sent"}
    assert rights_queue.send_due(start + timedelta(seconds=60)) == {"instagram": "waiting"}
    assert rights_queue.send_due(start + timedelta(seconds=800)) == {"instagram": "sent"}
    # The emulator allows 2 replies an hour: the third is a spam block.
    assert rights_queue.send_due(start + timedelta(seconds=1600)) == {"instagram": "paused"}
    pace = SendingPace.objects.get(account_key="instagram")
    assert "spam" in pace.pause_reason
    assert RightsRequest.objects.filter(stage=RequestStage.QUEUED).count() == 1
    assert rights_queue.send_due(start + timedelta(seconds=2000)) == {"instagram": "paused"}
    sandbox_sender.advance(3600)
    assert rights_queue.send_due(start + timedelta(seconds=1600 + 3601)) == {"instagram": "sent"}
    messages = [r["message"] for r in sandbox_sender.replies]
    assert len(set(messages)) == 3
    assert {r.stage for r in RightsRequest.objects.all()} == {RequestStage.SENT}


@pytest.mark.django_db
def test_hashtag_and_tiktok_posts_are_to_send_by_hand():
    hashtag = AssetFactory(source_platform="instagram", mentions=[])
    tiktok = AssetFactory(source_platform="tiktok")
    for asset in (hashtag, tiktok):
        request = rights_queue.queue_request(asset)
        assert request.delivery == "by_hand" and request.delivery_reason
    assert rights_queue.send_due() == {}
    rights_queue.mark_sent(request)
    assert request.stage == RequestStage.SENT and request.closes_at > timezone.now()


@pytest.mark.django_db
def test_reply_loop_grants_with_proof_and_revocation_unpublishes(sandbox_sender):
    asset = mentioning(sandbox_sender, 5, caption="Ma veste préférée avec le froid")
    request = rights_queue.queue_request(asset)
    assert request.language == "fr"
    assert rights_queue.send_due() == {"instagram": "sent"}
    request.refresh_from_db()
    assert request.stage == RequestStage.SENT and request.comment_id
    creator = asset.creator.handle

    events = [
        sandbox_sender.creator_answers(
            request.comment_id, "#YesAcme", username="troll", user_id="66"
        ),
        sandbox_sender.creator_answers(
            request.comment_id, 'it says "#YesAcme"?', username=creator, user_id="42"
        ),
        sandbox_sender.creator_answers(
            "unknown-comment", "#YesAcme", username=creator, user_id="42"
        ),
    ]
    for event in events:
        assert GRANT not in rights_queue.handle_comment_event(event)
    assert asset not in publishable_assets()

    event = sandbox_sender.creator_answers(
        request.comment_id, "Avec plaisir #YesAcme", username=creator, user_id="42"
    )
    assert rights_queue.handle_comment_event(event) == [GRANT]
    assert asset in publishable_assets()
    licence = licences.current_licence(asset)
    assert licence.proof["reply"]["author_id"] == "42"
    assert licence.proof["reply"]["text"] == "Avec plaisir #YesAcme"
    assert licence.proof["request"]["message"] == request.message
    request.refresh_from_db()
    assert request.stage == RequestStage.GRANTED

    deleted = sandbox_sender.creator_answers(
        request.comment_id, "#YesAcme", username=creator, user_id="42", verb="remove"
    )
    assert GRANT not in rights_queue.handle_comment_event(deleted)
    rights.revoke(asset, note="creator asked")
    assert asset not in publishable_assets()
    assert licences.verify_chain().intact


@pytest.mark.django_db
def test_rights_settled_outside_the_reply_loop_leave_the_queue_and_the_open_tabs(sandbox_sender):
    """A grant or a decline the coordinator records (or a licence that lapses, or a
    takedown) ends the request's conversation too: a queued comment is never posted
    to a creator who has answered, and the inbox shows the request under its end."""
    granted, declined, lapsing = (mentioning(sandbox_sender, n) for n in (7, 8, 9))
    for asset in (granted, declined, lapsing):
        rights_queue.queue_request(asset)
    soon = timezone.now() + timedelta(days=1)
    rights.grant(granted, via="signed_form")
    rights.decline(declined, note="said no by e-mail")
    rights.grant(lapsing, via="signed_form", expires_at=soon)
    assert rights_queue.send_due() == {}
    assert sandbox_sender.replies == []
    rights.revoke(granted, note="takedown")
    rights.expire_due(soon + timedelta(seconds=1))
    stages = dict(RightsRequest.objects.values_list("asset_id", "stage"))
    assert stages == {granted.pk: RequestStage.REVOKED, declined.pk: RequestStage.DECLINED,
                      lapsing.pk: RequestStage.EXPIRED}  # fmt: skip


@pytest.mark.django_db
@override_settings(RIGHTS_REMIND_AFTER_DAYS=3, RIGHTS_REQUEST_EXPIRES_DAYS=10)
def test_one_reminder_then_expiry():
    asset = AssetFactory(source_platform="tiktok")
    request = rights_queue.queue_request(asset)
    rights_queue.mark_sent(request)
    now = timezone.now()
    assert rights_queue.remind_due(now + timedelta(days=2)) == 0
    assert rights_queue.remind_due(now + timedelta(days=4)) == 1
    request.refresh_from_db()
    assert request.stage == RequestStage.QUEUED and request.reminded_at
    rights_queue.mark_sent(request)
    assert rights_queue.remind_due(now + timedelta(days=8)) == 0  # one reminder only
    assert rights_queue.expire_unanswered(now + timedelta(days=11)) == 1
    request.refresh_from_db()
    asset.refresh_from_db()
    assert request.stage == RequestStage.EXPIRED
    assert asset.rights_state == "not_requested"


@pytest.mark.django_db
def test_without_a_connected_account_nothing_is_sent(sandbox):
    asset = mentioning(sandbox, 1)
    rights_queue.queue_request(asset)
    assert rights_queue.send_due() == {"instagram": "no connected account"}
    assert RightsRequest.objects.get().stage == RequestStage.QUEUED


@pytest.mark.django_db
def test_a_refused_token_pauses_the_account_until_it_is_reconnected(sandbox_sender):
    account = ConnectedAccount.objects.get()
    sandbox_sender.expire(account.access_token)
    rights_queue.queue_request(mentioning(sandbox_sender, 2))
    assert rights_queue.send_due() == {"instagram": "paused"}
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_RECONNECT
    assert "token" in account.status_reason
    pace = SendingPace.objects.get(account_key="instagram")
    assert "reconnect" in pace.pause_reason
    assert rights_queue.send_due() == {"instagram": "paused"}  # still, with the reason
    assert RightsRequest.objects.get().stage == RequestStage.QUEUED

    connect_account(AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN)  # the same row, active again
    assert rights_queue.send_due() == {"instagram": "sent"}
    assert SendingPace.objects.get(account_key="instagram").pause_reason == ""


@pytest.mark.django_db
@override_settings(RIGHTS_POLL_INTERVAL_SECONDS=600, RIGHTS_POLL_BATCH=5)
def test_replies_are_polled_paced_until_a_grant(sandbox_sender):
    asset = mentioning(sandbox_sender, 6)
    request = rights_queue.queue_request(asset)
    assert rights_queue.send_due() == {"instagram": "sent"}
    request.refresh_from_db()
    creator = asset.creator.handle
    sandbox_sender.creator_answers(request.comment_id, "#YesAcme", username="troll", user_id="6")
    now = timezone.now()
    assert GRANT not in rights_queue.poll_replies(now)
    sandbox_sender.creator_answers(request.comment_id, "ok #YesAcme", username=creator, user_id="4")
    assert rights_queue.poll_replies(now + timedelta(seconds=60)) == {}  # read a minute ago
    assert rights_queue.poll_replies(now + timedelta(seconds=601))[GRANT] == 1
    assert licences.current_licence(asset).proof["reply"]["text"] == "ok #YesAcme"
    assert rights_queue.poll_replies(now + timedelta(seconds=1300)) == {}  # closed: not read


@pytest.mark.django_db
def test_youtube_requests_comment_remind_in_the_thread_and_poll_replies(sandbox):
    connect_account(AccountPlatform.YOUTUBE)
    video = sandbox.post("youtube:haul", 3)
    asset = AssetFactory(
        source_platform="youtube",
        platform_id=video.id,
        moderation_state="approved",
        creator=CreatorFactory(handle="maker"),
    )
    request = rights_queue.queue_request(asset)
    assert request.delivery == "reply" and request.account_key == "youtube"
    assert rights_queue.send_due() == {"youtube": "sent"}
    request.refresh_from_db()
    thread = sandbox.replies[-1]
    assert thread["id"] == request.comment_id and thread["target"] == video.id

    assert rights_queue.remind(request)
    assert rights_queue.send_due(timezone.now() + timedelta(hours=1)) == {"youtube": "sent"}
    reminder = sandbox.replies[-1]
    assert reminder["target"] == request.comment_id  # comments.insert with parentId
    assert sandbox.counts["youtube", "POST /comments"] == 1

    sandbox.creator_answers(request.comment_id, "Yes #YesAcme", username="maker", user_id="UC7")
    assert rights_queue.poll_replies()[GRANT] == 1
    assert licences.current_licence(asset).proof["reply"]["author_id"] == "UC7"
    request.refresh_from_db()
    assert request.stage == RequestStage.GRANTED


@pytest.mark.django_db
def test_the_migration_closes_requests_whose_rights_were_settled_outside_the_loop():
    from django.apps import apps

    migration = importlib.import_module("ugc.migrations.0023_closed_requests_leave_the_queue")
    left = {state: RightsRequest.objects.create(asset=AssetFactory(), message="", state=state,
                                                 approval_hashtag="#yes", stage="queued")
            for state in ("requested", "granted", "declined", "revoked", "expired")}  # fmt: skip
    migration.close_stages(apps, None)
    stages = {state: RightsRequest.objects.get(pk=r.pk).stage for state, r in left.items()}
    assert stages == {"requested": "queued", "granted": "granted", "declined": "declined",
                      "revoked": "revoked", "expired": "expired"}  # fmt: skip
