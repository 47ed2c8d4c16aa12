"""The workspace's changes, each one call into ugc.services (as the API makes):
bulk moderation, tags, rights requests; one asset's hotspot and rights answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from commerce.models import Product, ProductLine
from ugc.models import Asset, GrantMethod, InvalidTransition, RejectionReason
from ugc.services import moderation, pipeline, rights, tagging
from ugc.workspace.access import BadInput

BULK_ACTIONS = ("approve", "reject", "tag_line", "tag_product", "request_rights")


@dataclass
class Outcome:
    done: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"id", "reason"}

    def summary(self, verb: str) -> str:
        text = f"{verb} {len(self.done)} asset{'s' if len(self.done) != 1 else ''}"
        if self.skipped:
            first = self.skipped[0]
            text += f"; skipped {len(self.skipped)} (asset {first['id']}: {first['reason']})"
        return text


def rejection_reason(slug: str) -> RejectionReason:
    if not slug:
        raise BadInput("reason", "a rejection needs a reason")
    reason = RejectionReason.objects.filter(slug=slug, active=True).first()
    if reason is None:
        raise BadInput("reason", f"no active rejection reason {slug[:60]!r}")
    return reason


def product_line(slug: str) -> ProductLine:
    line = ProductLine.objects.filter(slug=slug.strip()).first() if slug.strip() else None
    if line is None:
        raise BadInput("product_line", f"no product line {slug[:60]!r}")
    return line


def product(sku: str) -> Product:
    found = Product.objects.filter(sku=sku.strip()).first() if sku.strip() else None
    if found is None:
        raise BadInput("product", f"no product with SKU {sku[:60]!r}")
    return found


def bulk(action: str, ids: list[int], data, actor) -> tuple[Outcome, str]:
    """Apply one action to the selected assets; returns what happened and its verb."""
    if action not in BULK_ACTIONS:
        raise BadInput("action", f"one of {', '.join(BULK_ACTIONS)}")
    assets = Asset.objects.filter(pk__in=ids).select_related("creator")
    if action in ("approve", "reject"):
        reason = rejection_reason(data.get("reason", "")) if action == "reject" else None
        result = moderation.bulk_moderate(
            assets, action, actor=actor, reason=reason, note=data.get("note", "")[:2000]
        )
        verb = "Approved" if action == "approve" else "Rejected"
        return Outcome(result.done, result.skipped), verb
    if action == "tag_line":
        line = product_line(data.get("product_line", ""))
        return _each(assets, lambda a: tagging.tag_product_line(a, line, actor=actor)), "Tagged"
    if action == "tag_product":
        item = product(data.get("product", ""))
        return _each(assets, lambda a: tagging.tag_product(a, item, actor=actor)), "Tagged"
    return _each(assets, lambda a: rights.request_rights(a, actor=actor)), "Requested rights for"


def _each(assets, change) -> Outcome:
    """One transaction per asset: one that cannot change does not stop the others."""
    outcome = Outcome()
    for asset in assets.order_by("pk"):
        try:
            with transaction.atomic():
                change(asset)
        except InvalidTransition as exc:
            outcome.skipped.append({"id": asset.pk, "reason": exc.messages[0]})
        else:
            outcome.done.append(asset.pk)
    return outcome


def fraction(data, name: str) -> float:
    try:
        value = float(data.get(name, ""))
    except ValueError as exc:
        raise BadInput(name, "a hotspot needs x and y as fractions of the image") from exc
    if not 0 <= value <= 1:
        raise BadInput(name, "must be between 0 and 1 (a fraction of the image)")
    return value


def place_hotspot(asset: Asset, data, actor) -> None:
    item = product(data.get("product", ""))
    tagging.tag_product(asset, item, actor=actor, x=fraction(data, "x"), y=fraction(data, "y"))


def expiry(data) -> datetime | None:
    raw = (data.get("expires_on") or "").strip()
    if not raw:
        return None
    day = parse_date(raw) if len(raw) <= 10 else None
    if day is None:
        raise BadInput("expires_on", "a date as YYYY-MM-DD")
    moment = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    if moment <= timezone.now():
        raise BadInput("expires_on", "a grant cannot expire in the past")
    return moment


def answer_rights(asset: Asset, answer: str, data, actor) -> str:
    """Mark an asset's rights granted or declined (or ask for them); returns a message."""
    try:
        if answer == "grant":
            via = data.get("via", "")
            if via not in GrantMethod.values:
                raise BadInput("via", f"one of {', '.join(GrantMethod.values)}")
            rights.grant(asset, via=via, actor=actor, expires_at=expiry(data))
            return f"Rights granted for asset {asset.pk}"
        if answer == "decline":
            rights.decline(asset, actor=actor, note=data.get("note", "")[:2000])
            return f"Rights declined for asset {asset.pk}"
        if answer == "request":
            rights.request_rights(asset, actor=actor, message=data.get("message", "")[:5000])
            return f"Rights requested for asset {asset.pk}"
    except InvalidTransition as exc:
        raise BadInput("state", exc.messages[0], status=409) from exc
    raise BadInput("answer", "grant, decline or request")


def moderate_one(asset: Asset, decision: str, data, actor) -> None:
    try:
        if decision == "approve":
            moderation.approve(asset, actor=actor)
        elif decision == "reject":
            moderation.reject(asset, reason=rejection_reason(data.get("reason", "")), actor=actor)
        else:
            raise BadInput("decision", "approve or reject")
    except InvalidTransition as exc:
        raise BadInput("state", exc.messages[0], status=409) from exc


def retry_processing(ids: list[int], actor) -> int:
    return pipeline.reprocess(ids, actor=actor)
