"""The workspace's changes, each one call into ugc.services (as the API makes):
bulk moderation, tags, rights requests; one asset's hotspot and rights answers."""

from __future__ import annotations

import re

from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from commerce.models import Product
from ugc.api.curation import (
    BulkTagSerializer,
    ModerationSerializer,
    ProductPickSerializer,
    RejectionSerializer,
    SelectionSerializer,
)
from ugc.api.serializers import RightsActionSerializer
from ugc.models import Asset, InvalidTransition, RejectionReason, every_use
from ugc.services import bulk as bulk_services
from ugc.services import moderation, pipeline, rights, tagging
from ugc.services.bulk import BulkResult
from workspace.access import BadInput, one_of, validated

BULK_ACTIONS = ("approve", "reject", "tag_line", "tag_product", "request_rights")


def rejection_reason(slug: str) -> RejectionReason:
    fields = validated(RejectionSerializer(data={"reason": slug} if slug else {}))
    return fields["reason"]


def product(name: str) -> Product:
    """The product by its SKU, or by its exact name when only one product has it."""
    return validated(ProductPickSerializer(data={"product": name}))["product"]


# What a bulk action did, by action; %(count)s is how many it changed.
BULK_DONE = {
    "approve": ngettext_lazy("Approved %(count)s asset", "Approved %(count)s assets", "count"),
    "reject": ngettext_lazy("Rejected %(count)s asset", "Rejected %(count)s assets", "count"),
    "request_rights": ngettext_lazy(
        "Requested rights for %(count)s asset", "Requested rights for %(count)s assets", "count"
    ),
    "tag": ngettext_lazy("Tagged %(count)s asset", "Tagged %(count)s assets", "count"),
    "pin": ngettext_lazy("Pinned %(count)s asset", "Pinned %(count)s assets", "count"),
}
# What it left alone: how many, and why for the first of them.
SKIPPED = {
    "asset": ngettext_lazy(
        "; skipped %(count)s (asset %(id)s: %(reason)s)",
        "; skipped %(count)s (asset %(id)s: %(reason)s)",
        "count",
    ),
    "request": ngettext_lazy(
        "; skipped %(count)s (request %(id)s: %(reason)s)",
        "; skipped %(count)s (request %(id)s: %(reason)s)",
        "count",
    ),
}


def summary(outcome: BulkResult, done, noun: str = "asset") -> str:
    """One line in the page's language: what was done, and what was skipped and why."""
    text = done % {"count": len(outcome.done)}
    if outcome.skipped:
        first = outcome.skipped[0]
        counts = {"count": len(outcome.skipped), "id": first["id"], "reason": first["reason"]}
        text += SKIPPED[noun] % counts
    return text


def bulk(action: str, ids: list[int], data, actor) -> tuple[BulkResult, str]:
    """Apply one action to the selected assets, validated by the API's serializers and
    done by the same services; returns what happened and its message template."""
    if action not in BULK_ACTIONS:
        raise BadInput("action", one_of(BULK_ACTIONS))
    if action in ("approve", "reject"):
        given = {"ids": ids, "action": action, "note": data.get("note", "")[:2000]}
        if action == "reject":
            given["reason"] = data.get("reason", "")
        fields = validated(ModerationSerializer(data=given))
        result = moderation.bulk_moderate(
            _selected(ids), action, actor=actor, reason=fields.get("reason"), note=fields["note"]
        )
        return result, BULK_DONE[action]
    if action == "request_rights":
        validated(SelectionSerializer(data={"ids": ids}))
        result = bulk_services.request_rights(_selected(ids), actor=actor)
        return result, BULK_DONE["request_rights"]
    if action == "tag_line":
        fields = tag_fields(ids, product_line=data.get("product_line", ""))
    else:
        fields = tag_fields(ids, product=data.get("product", ""))
    if "product" in fields:
        result = bulk_services.tag_product(_selected(ids), fields["product"], actor=actor)
    else:
        result = bulk_services.tag_product_line(_selected(ids), fields["product_line"], actor=actor)
    return result, BULK_DONE["tag"]


def tag_fields(ids: list[int], *, product: str = "", product_line: str = "") -> dict:
    """A tag as the API's BulkTagSerializer reads it: a product or a product line (a
    blank one is not given, so that neither names the problem)."""
    given: dict = {"ids": ids}
    if product.strip():
        given["product"] = product
    if product_line.strip():
        given["product_line"] = product_line.strip()
    return validated(BulkTagSerializer(data=given))


def tag_one(asset: Asset, data, actor) -> str:
    """Tag one asset with the product or the product line the form names, by the
    services the bulk tag uses; returns what was done."""
    fields = tag_fields(
        [asset.pk], product=data.get("product", ""), product_line=data.get("product_line", "")
    )
    if "product" in fields:
        item = fields["product"]
        tagging.tag_product(asset, item, actor=actor)
        done = {"title": item.title, "sku": item.sku, "pk": asset.pk}
        return gettext("Tagged %(title)s (%(sku)s) on asset %(pk)s") % done
    line = fields["product_line"]
    tagging.tag_product_line(asset, line, actor=actor)
    done = {"line": line.name, "pk": asset.pk}
    return gettext("Tagged the line %(line)s on asset %(pk)s") % done


def _selected(ids: list[int]):
    return Asset.objects.filter(pk__in=ids)


def fraction(data, name: str) -> float:
    try:
        value = float(data.get(name, ""))
    except ValueError as exc:
        raise BadInput(name, gettext("a hotspot needs x and y as fractions of the image")) from exc
    if not 0 <= value <= 1:
        raise BadInput(name, gettext("must be between 0 and 1 (a fraction of the image)"))
    return value


def place_hotspot(asset: Asset, data, actor) -> Product:
    item = product(data.get("product", ""))
    tagging.tag_product(asset, item, actor=actor, x=fraction(data, "x"), y=fraction(data, "y"))
    return item


def typed_codes(text: str) -> list[str]:
    """Country codes as a person types them: "FR, DE", "fr de" or one a line."""
    return [code for code in re.split(r"[\s,;]+", text) if code]


def rights_input(answer: str, data) -> dict:
    """The workspace's rights form as the API's RightsActionSerializer reads it: the
    form's names mapped, ticked boxes as booleans, territory as typed ("FR, DE")."""
    values = {
        "action": answer,
        "via": data.get("via", ""),
        "message": data.get("message", ""),
        "note": data.get("note", ""),
    }
    if answer == "grant":
        values.update(
            uses=data.getlist("uses") or every_use(),
            territory=typed_codes(data.get("territory", "")),
            paid_use=bool(data.get("paid_use")) if "terms" in data else True,
            credit_required=bool(data.get("credit_required")),
        )
        if (data.get("expires_on") or "").strip():
            values["expires_at"] = data["expires_on"].strip()
    return {name: value for name, value in values.items() if value != "" or name == "action"}


def answer_rights(asset: Asset, answer: str, data, actor) -> str:
    """Request, grant or decline an asset's rights; returns a message."""
    checked = validated(RightsActionSerializer(data=rights_input(answer, data)), FORM_NAMES)
    try:
        rights.act(
            asset,
            checked["action"],
            actor=actor,
            via=checked.get("via", ""),
            terms=checked.get("terms"),
            message=checked.get("message", ""),
            note=checked.get("note", ""),
        )
    except InvalidTransition as exc:
        raise BadInput("state", exc.messages[0], status=409) from exc
    except ValueError as exc:
        raise BadInput("answer", str(exc)) from exc
    return DONE[checked["action"]] % {"pk": asset.pk}


FORM_NAMES = {"action": "answer", "expires_at": "expires_on"}
DONE = {
    "request": _("Rights requested for asset %(pk)s"),
    "grant": _("Rights granted for asset %(pk)s"),
    "decline": _("Rights declined for asset %(pk)s"),
    "revoke": _("Rights revoked for asset %(pk)s"),
}


def moderate_one(asset: Asset, decision: str, data, actor) -> None:
    try:
        if decision == "approve":
            moderation.approve(asset, actor=actor)
        elif decision == "reject":
            moderation.reject(asset, reason=rejection_reason(data.get("reason", "")), actor=actor)
        else:
            raise BadInput("decision", gettext("approve or reject"))
    except InvalidTransition as exc:
        raise BadInput("state", exc.messages[0], status=409) from exc


def undoable(asset: Asset) -> bool:
    return moderation.undoable_decision(asset) is not None


def undo(asset: Asset, actor) -> Asset:
    try:
        return moderation.undo_last_decision(asset, actor=actor)
    except InvalidTransition as exc:
        raise BadInput("undo", exc.messages[0], status=409) from exc


def retry_processing(ids: list[int], actor) -> int:
    return pipeline.reprocess(ids, actor=actor)
