"""The licence ledger: what a creator granted, on what proof, and every later
amendment, revocation and expiry, as entries chained by their hashes.

Entries are only ever appended (the database refuses UPDATE and DELETE on the
table). Each carries the SHA-256 of its own content and of the entry before it,
so `verify_chain()` finds an entry edited or removed behind the product's back.
The asset keeps a copy of its current licence's uses, territory and credit duty,
which the storefront rule reads (ugc.selectors.publishable_assets).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from ugc.models import (
    Asset,
    LicenceEntry,
    LicenceEntryKind,
    LicensedUse,
    RightsRequest,
    every_use,
)
from ugc.services.assets import acting_user

GENESIS = "0" * 64
# One appender at a time, so each entry names the one truly before it.
LEDGER_LOCK = 0x4C1CE0CE
HASHED_FIELDS = (
    "asset_id",
    "kind",
    "uses",
    "territory",
    "starts_at",
    "ends_at",
    "paid_use",
    "credit_required",
    "via",
    "proof",
    "terms_version_id",
    "request_id",
    "recorded_by_id",
    "recorded_at",
    "note",
)


@dataclass(frozen=True)
class LicenceTerms:
    """What a grant allows. The defaults are what a grant meant before licences had
    terms: every use, worldwide, paid use allowed, no credit, no end."""

    uses: list[str] = field(default_factory=every_use)
    territory: list[str] = field(default_factory=list)  # ISO 3166 alpha-2; [] = worldwide
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    paid_use: bool = True
    credit_required: bool = False

    def __post_init__(self):
        unknown = sorted(set(self.uses) - set(LicensedUse.values))
        if unknown:
            raise ValueError(gettext("unknown use(s): %(uses)s") % {"uses": ", ".join(unknown)})
        if not self.uses:
            raise ValueError(gettext("a licence allows at least one use"))
        bad = [c for c in self.territory if len(c) != 2 or not c.isalpha() or not c.isupper()]
        if bad:
            codes = {"codes": ", ".join(bad)}
            raise ValueError(
                gettext("territory codes are ISO 3166 alpha-2, e.g. FR: %(codes)s") % codes
            )
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError(gettext("a licence ends after it starts"))


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def entry_digest(values: dict, previous_hash: str) -> str:
    """The hash of an entry's content (HASHED_FIELDS) and of the entry before it."""
    content = {name: _plain(values.get(name)) for name in HASHED_FIELDS}
    content["previous_hash"] = previous_hash
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest_halves(values: dict) -> tuple[str, str]:
    """The text entry_digest() hashes, in the two parts either side of the previous
    entry's hash: what the database joins to the hash it reads while inserting.
    json.dumps with sorted keys lays an object out key by key, so this is the same text."""
    content = {name: _plain(values.get(name)) for name in HASHED_FIELDS}
    names = sorted([*content, "previous_hash"])
    at = names.index("previous_hash")

    def members(keys) -> str:
        return ",".join(f"{_canonical(key)}:{_canonical(content[key])}" for key in keys)

    before = "{" + members(names[:at]) + ("," if at else "") + '"previous_hash":"'
    after = '"' + ("," if names[at + 1 :] else "") + members(names[at + 1 :]) + "}"
    return before, after


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def terms_digest(text: str) -> str:
    """The key a terms text is stored under (and cited by in a proof)."""
    return hashlib.sha256(text.encode()).hexdigest()


def hashed_address(address: str) -> str:
    """An IP address as kept with a form's proof: enough to match, not to read."""
    from core.crypto import keyed_hash

    return keyed_hash(address, purpose="licence-proof-address")


def append(
    asset: Asset,
    kind: str,
    *,
    terms: LicenceTerms | None = None,
    via: str = "",
    proof: dict | None = None,
    terms_text: str | None = None,
    request: RightsRequest | None = None,
    actor=None,
    note: str = "",
    at: datetime | None = None,
) -> LicenceEntry:
    """Append one entry to the ledger and return it."""
    at = at or timezone.now()
    user = acting_user(actor)
    entry = _entry(
        asset.pk,
        kind,
        terms or LicenceTerms(),
        via=via,
        proof=proof,
        terms_sha256=terms_digest(terms_text) if terms_text is not None else None,
        request_id=request.pk if request else None,
        recorded_by_id=user.pk if user else None,
        at=at,
        note=note,
    )
    _insert_chained([entry], terms_text)
    return entry


def append_grants(
    assets: list[Asset],
    requests: list[RightsRequest],
    *,
    terms: LicenceTerms,
    via: str,
    proof: dict,
    terms_text: str,
    at: datetime,
) -> list[LicenceEntry]:
    """A grant entry for each asset (with its request), on the same terms and proof,
    appended in the assets' order."""
    digest = terms_digest(terms_text)
    entries = [
        _entry(asset.pk, LicenceEntryKind.GRANT, terms, via=via, proof=proof,
               terms_sha256=digest, request_id=request.pk, recorded_by_id=None, at=at, note="")
        for asset, request in zip(assets, requests, strict=True)
    ]  # fmt: skip
    if entries:
        _insert_chained(entries, terms_text)
    return entries


def _entry(asset_id: int, kind: str, terms: LicenceTerms, *, via: str, proof: dict | None,
           terms_sha256: str | None, request_id: int | None, recorded_by_id: int | None,
           at: datetime, note: str) -> LicenceEntry:  # fmt: skip
    """An entry's content, not yet linked into the chain."""
    return LicenceEntry(
        asset_id=asset_id,
        kind=kind,
        uses=sorted(terms.uses) if kind in LIVE_KINDS else [],
        territory=sorted(terms.territory),
        starts_at=terms.starts_at or at,
        ends_at=terms.ends_at,
        paid_use=terms.paid_use,
        credit_required=terms.credit_required,
        via=via,
        proof=json.loads(json.dumps(proof or {}, default=str)),
        terms_version_id=terms_sha256,
        request_id=request_id,
        recorded_by_id=recorded_by_id,
        recorded_at=at,
        note=note[:2000],
    )


def _insert_chained(entries: list[LicenceEntry], terms_text: str | None) -> None:
    """Append entries in order, under the ledger's lock: the first one's INSERT reads
    the last entry's hash and hashes itself with it (one statement, not a read and a
    write), the rest follow it in one INSERT, each hashed with the one before it. The
    terms text is stored by the first INSERT too, once for every creator shown it."""
    with transaction.atomic(savepoint=False):  # nothing here is caught to go on with
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK])
            first = entries[0]
            cursor.execute(*_insert_linked(first, terms_text))
            first.pk, first.previous_hash, first.entry_hash = cursor.fetchone()
        # The database hashed the text this process laid out: checked here, before the
        # commit, so an entry whose hash verify_chain() would refuse is never kept.
        if first.entry_hash != entry_digest(vars(first), first.previous_hash):
            raise RuntimeError(f"licence entry {first.pk}: the ledger's hash does not match")
        previous = first.entry_hash
        for entry in entries[1:]:
            entry.previous_hash = previous
            entry.entry_hash = previous = entry_digest(vars(entry), previous)
        LicenceEntry.objects.bulk_create(entries[1:])


CHAIN_COLUMNS = ("id", "previous_hash", "entry_hash")
CONTENT_COLUMNS = [f for f in LicenceEntry._meta.concrete_fields if f.column not in CHAIN_COLUMNS]


def _insert_linked(entry: LicenceEntry, terms_text: str | None) -> tuple[str, list]:
    """The INSERT of `entry` after the ledger's last entry, with the hash of both."""
    before, after = digest_halves(vars(entry))
    columns = ", ".join(f.column for f in CONTENT_COLUMNS)
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in CONTENT_COLUMNS]
    placeholders = ", ".join(["%s"] * len(values))
    terms, terms_params = "", []
    if terms_text is not None:
        terms = (
            "WITH terms AS (INSERT INTO ugc_termsversion (sha256, text, created_at) "
            "VALUES (%s, %s, %s) ON CONFLICT (sha256) DO NOTHING) "
        )
        terms_params = [entry.terms_version_id, terms_text, timezone.now()]
    sql = (
        f"{terms}INSERT INTO ugc_licenceentry ({columns}, previous_hash, entry_hash) "  # noqa: S608
        f"SELECT {placeholders}, last.hash, "
        "encode(sha256(convert_to(%s || last.hash || %s, 'UTF8')), 'hex') "
        "FROM (SELECT coalesce((SELECT entry_hash FROM ugc_licenceentry ORDER BY id DESC "
        "LIMIT 1), %s) AS hash) AS last "
        "RETURNING id, previous_hash, entry_hash"
    )
    return sql, [*terms_params, *values, before, after, GENESIS]


LIVE_KINDS = (LicenceEntryKind.GRANT, LicenceEntryKind.AMENDMENT)


def current_licence(asset: Asset) -> LicenceEntry | None:
    """The grant or amendment in force, None when the latest entry ended it."""
    latest = asset.licence_entries.order_by("-id").first()
    return latest if latest and latest.kind in LIVE_KINDS else None


def history(asset: Asset) -> list[LicenceEntry]:
    return list(asset.licence_entries.select_related("terms_version").order_by("id"))


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(batch: int = 2000) -> ChainReport:
    """Walk the ledger in order, recomputing each hash and link."""
    report = ChainReport()
    previous = GENESIS
    names = [*HASHED_FIELDS, "id", "previous_hash", "entry_hash"]
    rows = LicenceEntry.objects.order_by("id").values(*names)
    for row in rows.iterator(chunk_size=batch):
        _check(report, row, previous)
        previous = row["entry_hash"]
    return report


def _check(report: ChainReport, row: dict, previous: str) -> None:
    """One entry: does it follow `previous`, and does its content match its hash?"""
    report.checked += 1
    if row["previous_hash"] != previous:
        report.problems.append(
            f"entry {row['id']}: does not follow the entry before it "
            "(an entry was removed or reordered)"
        )
    if entry_digest(row, row["previous_hash"]) != row["entry_hash"]:
        report.problems.append(f"entry {row['id']}: content does not match its hash (edited)")


def verify_asset(asset: Asset) -> ChainReport:
    """The chain checked where it concerns one asset: each of its entries' content
    against its hash, and its link to the entry truly before it in the ledger (read
    in the same query). Entries after them are the whole-chain check's to walk."""
    before = LicenceEntry.objects.filter(id__lt=OuterRef("id")).order_by("-id")
    names = [*HASHED_FIELDS, "id", "previous_hash", "entry_hash"]
    rows = (
        asset.licence_entries.annotate(truly_before=Subquery(before.values("entry_hash")[:1]))
        .order_by("id")
        .values(*names, "truly_before")
    )
    report = ChainReport()
    for row in rows:
        _check(report, row, row["truly_before"] or GENESIS)
    return report
