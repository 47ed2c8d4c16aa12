"""The licence ledger: grants with terms and proof, amendments, revocations and
expiries as chained entries the database will not let anyone edit, and the
storefront rule per use."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from tests.ugc.factories import AssetFactory
from ugc.models import LicenceEntry, RightsState, TermsVersion
from ugc.selectors import is_publishable, publishable_assets
from ugc.services import licences, rights
from ugc.services.licences import LicenceTerms

pytestmark = pytest.mark.django_db


def approved(**fields):
    return AssetFactory(processing_state="in_review", moderation_state="approved", **fields)


def granted(terms=None, **fields):
    asset = approved(**fields)
    rights.grant(asset, via="hashtag_reply", terms=terms, proof={"reply": {"text": "yes #YesAcme"}})
    return asset


def test_a_grant_publishes_only_to_the_uses_its_licence_allows():
    web_only = granted(LicenceTerms(uses=["website"], credit_required=True))
    email_only = granted(LicenceTerms(uses=["email"]))
    assert set(publishable_assets()) == {web_only}
    assert set(publishable_assets(use="email")) == {email_only}
    web_only.refresh_from_db()
    assert web_only.credit_required is True
    assert is_publishable(web_only) is True
    assert is_publishable(web_only, use="print") is False
    with pytest.raises(ValueError, match="unknown use"):
        publishable_assets(use="billboards")


def test_the_licence_records_its_terms_and_proof():
    ends = timezone.now() + timedelta(days=365)
    terms = LicenceTerms(
        uses=["website", "paid_social"], territory=["FR", "DE"], ends_at=ends, paid_use=True
    )
    asset = granted(terms)
    licence = licences.current_licence(asset)
    assert licence.kind == "grant"
    assert licence.uses == ["paid_social", "website"]
    assert licence.territory == ["DE", "FR"]
    assert licence.ends_at == ends
    assert licence.proof == {"reply": {"text": "yes #YesAcme"}}
    assert licence.request.state == RightsState.GRANTED
    asset.refresh_from_db()
    assert asset.rights_expires_at == ends


@pytest.mark.parametrize(
    "bad",
    [
        {"uses": []},
        {"uses": ["website", "cinema"]},
        {"territory": ["fr"]},
        {"territory": ["FRA"]},
    ],
)
def test_terms_refuse_what_no_licence_can_say(bad):
    with pytest.raises(ValueError):
        LicenceTerms(**bad)


def test_an_amendment_taking_a_use_away_unpublishes_that_use_at_once():
    asset = granted()
    assert asset in publishable_assets()
    rights.amend(asset, LicenceTerms(uses=["email"]), note="creator asked: email only")
    assert asset not in publishable_assets()
    assert asset in publishable_assets(use="email")
    kinds = list(asset.licence_entries.values_list("kind", flat=True))
    assert kinds == ["grant", "amendment"]


def test_revocation_and_expiry_are_entries_and_end_the_licence():
    revoked = granted()
    rights.revoke(revoked, note="takedown")
    assert licences.current_licence(revoked) is None
    assert revoked.licence_entries.last().kind == "revocation"

    expiring = granted(LicenceTerms(ends_at=timezone.now() + timedelta(minutes=1)))
    assert rights.expire_due(now=timezone.now() + timedelta(minutes=2)) == [expiring.pk]
    assert expiring.licence_entries.last().kind == "expiry"
    assert licences.verify_chain().intact


def test_terms_text_is_stored_once_and_referenced_by_its_hash():
    text = "You grant Acme a worldwide licence to show your photo on its website."
    first, second = approved(), approved()
    rights.grant(first, via="signed_form", terms_text=text)
    rights.grant(second, via="signed_form", terms_text=text)
    assert TermsVersion.objects.count() == 1
    version = TermsVersion.objects.get()
    assert {e.terms_version_id for e in LicenceEntry.objects.all()} == {version.sha256}


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ugc_licenceentry SET uses = '{print}'",
        "DELETE FROM ugc_licenceentry",
        "UPDATE ugc_termsversion SET text = 'other terms'",
    ],
)
def test_the_database_refuses_to_edit_the_ledger(sql):
    granted()
    rights.grant(approved(), via="signed_form", terms_text="terms")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


def tamper(sql: str, entry_id: int) -> None:
    """What someone with the table owner's rights could still do."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE ugc_licenceentry DISABLE TRIGGER ugc_licenceentry_append_only")
        cursor.execute(sql, [entry_id])
        cursor.execute("ALTER TABLE ugc_licenceentry ENABLE TRIGGER ugc_licenceentry_append_only")


def test_verify_licences_reports_an_edited_entry(capsys):
    for _ in range(3):
        granted()
    call_command("verify_licences")
    assert "intact: 3 entries" in capsys.readouterr().out
    target = LicenceEntry.objects.order_by("id")[1]
    tamper("UPDATE ugc_licenceentry SET uses = '{print}' WHERE id = %s", target.pk)
    with pytest.raises(CommandError, match="tampered"):
        call_command("verify_licences")
    assert f"entry {target.pk}: content does not match" in capsys.readouterr().err


def test_verify_licences_reports_a_removed_entry(capsys):
    for _ in range(3):
        granted()
    entries = list(LicenceEntry.objects.order_by("id"))
    tamper("DELETE FROM ugc_licenceentry WHERE id = %s", entries[1].pk)
    report = licences.verify_chain()
    assert report.problems == [
        f"entry {entries[2].pk}: does not follow the entry before it "
        "(an entry was removed or reordered)"
    ]


def test_grants_made_before_licences_become_licences_for_every_use():
    old = approved(rights_state="granted")  # as granted before the ledger existed
    migration = importlib.import_module("ugc.migrations.0013_licence_ledger")
    migration.license_granted_assets(apps, None)
    licence = licences.current_licence(old)
    assert licence.uses == sorted(["website", "email", "paid_social", "retail_partners", "print"])
    assert licence.proof["recorded_before_licences"] is True
    assert old in publishable_assets()
    assert licences.verify_chain().intact


def test_the_text_the_database_hashes_is_the_text_verify_chain_hashes():
    """The INSERT joins the last entry's hash between two halves laid out in Python:
    they must make exactly the canonical text, accents and nested proof included."""
    values = {
        "asset_id": 7, "kind": "grant", "uses": ["email", "website"], "territory": [],
        "starts_at": timezone.now(), "ends_at": None, "paid_use": False,
        "credit_required": False, "via": "signed_form", "terms_version_id": "ab" * 32,
        "proof": {"form": "page", "name": "Zoë \"quoted\"", "nested": {"b": 1, "a": [1, 2]}},
        "request_id": 3, "recorded_by_id": None, "recorded_at": timezone.now(), "note": "é",
    }  # fmt: skip
    previous = "c" * 64
    before, after = licences.digest_halves(values)
    import hashlib

    joined = hashlib.sha256((before + previous + after).encode()).hexdigest()
    assert joined == licences.entry_digest(values, previous)


def test_grants_for_new_assets_chain_like_one_by_one_grants():
    """grant_new: the assets' states, audit entries, requests and ledger entries in a
    few statements; the ledger still verifies, each entry after the one truly before."""
    first = granted()  # an entry already in the ledger: the batch links to it
    assets = [approved() for _ in range(3)]
    terms = LicenceTerms(uses=["website"], paid_use=False)
    with transaction.atomic():
        rights.grant_new(assets, via="signed_form", terms=terms, proof={"form": "x"},
                         terms_text="Les conditions", at=timezone.now())  # fmt: skip
    report = licences.verify_chain()
    assert report.intact, report.problems
    entries = list(LicenceEntry.objects.order_by("id"))
    assert [e.asset_id for e in entries] == [first.pk, *(a.pk for a in assets)]
    assert entries[1].previous_hash == entries[0].entry_hash
    for asset in assets:
        asset.refresh_from_db()
        assert asset.rights_state == RightsState.GRANTED and asset.licensed_uses == ["website"]
        assert asset.audit_trail.filter(action="rights_state:granted").count() == 1
        licence = licences.current_licence(asset)
        assert licence.request.state == RightsState.GRANTED
        assert licence.terms_version.text == "Les conditions"
        assert licences.verify_asset(asset).intact
    assert TermsVersion.objects.filter(text="Les conditions").count() == 1
