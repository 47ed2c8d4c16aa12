"""Catalog and order imports from CSV files: what `import_catalog` and `import_orders` run.

Idempotent: products are keyed by SKU (or handle), orders by (shop, order id);
importing the same file twice reports everything "unchanged". A bad row fails
its product or order with a reason and never stops the rest of the file.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError

from commerce.ingest import catalog_csv, order_csv
from commerce.ingest.records import InvalidField
from commerce.models import Shop
from commerce.services import catalog as catalog_service
from commerce.services import orders as order_service
from core.csvio import CsvError, RowFailure, open_table, safe_row

logger = logging.getLogger(__name__)

__all__ = ["CsvError", "ImportSummary", "import_catalog", "import_orders", "write_failures"]

ProgressFactory = Callable[[int, str], object]  # (total, label) -> object with advance()/close()


@dataclass
class ImportSummary:
    kind: str  # "products" or "orders"
    format: str = ""
    encoding: str = ""
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[RowFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + n

    @property
    def failed(self) -> int:
        return len(self.failures)

    def lines(self, max_failures: int = 50) -> list[str]:
        parts = ", ".join(
            f"{self.counts.get(name, 0):,} {name}"
            for name in ("created", "updated", "unchanged", "stale")
            if name in self.counts or name in ("created", "updated", "unchanged")
        )
        out = [*(f"note: {note}" for note in self.notes)]
        out.append(
            f"{self.rows:,} rows read ({self.format}, {self.encoding}): {self.kind} {parts}; "
            f"{self.failed:,} failed rows"
        )
        for failure in self.failures[:max_failures]:
            out.append(f"  failed {failure}")
        if self.failed > max_failures:
            out.append(f"  ... and {self.failed - max_failures:,} more (see --errors FILE)")
        return out


def _no_progress(total: int, label: str):
    class _Silent:
        def advance(self, count: int = 1) -> None:
            pass

        def close(self) -> None:
            pass

    return _Silent()


def storefront_for(storefront_url: str, shop: Shop | None) -> tuple[str, str]:
    """Where product pages live: the URL given, else the shop's domain (the one shop
    when there is only one); and a note saying which was chosen, if it was guessed."""
    if storefront_url:
        return storefront_url, ""
    if shop is None:
        shops = list(Shop.objects.all()[:2])
        if len(shops) != 1:
            return "", ""
        shop = shops[0]
        return f"https://{shop.domain}", f"product URLs are on the only shop, {shop.domain}"
    return f"https://{shop.domain}", ""


def import_catalog(
    source: Path | str | bytes,
    *,
    currency: str = "",
    storefront_url: str = "",
    shop: Shop | None = None,
    progress: ProgressFactory = _no_progress,
) -> ImportSummary:
    table = open_table(source)
    storefront_url, note = storefront_for(storefront_url, shop)
    parsed = catalog_csv.parse(table, currency=currency, storefront_url=storefront_url)
    summary = ImportSummary(
        "products", parsed.format, table.encoding, parsed.rows_read, notes=list(table.notes)
    )
    if note:
        summary.notes.append(note)
    summary.failures.extend(parsed.failures)
    bar = progress(len(parsed.products), "products")
    line_cache: dict = {}
    try:
        for record in parsed.products:
            try:
                summary.count(catalog_service.save_product(record, line_cache=line_cache))
            except InvalidField as exc:
                summary.failures.append(RowFailure(record.row, str(exc), record.sku))
            except DatabaseError as exc:
                line_cache.clear()  # lines created in a rolled-back savepoint are gone
                summary.failures.append(RowFailure(record.row, f"not saved: {exc}", record.sku))
            bar.advance()
    finally:
        bar.close()
    if storefront_url:
        filled = catalog_service.backfill_product_urls(storefront_url)
        if filled:
            summary.notes.append(f"{filled:,} products with a handle were given their URL")
    relinked = catalog_service.relink_unknown_order_lines()
    if relinked:
        summary.notes.append(f"{relinked:,} order lines with a once-unknown SKU are now linked")
    summary.failures.sort(key=lambda f: f.row)
    return summary


def import_orders(
    source: Path | str | bytes,
    *,
    shop: Shop,
    batch_size: int = 2000,
    progress: ProgressFactory = _no_progress,
) -> ImportSummary:
    table = open_table(source)
    parsed = order_csv.parse(table)
    summary = ImportSummary(
        "orders", parsed.format, table.encoding, parsed.rows_read, notes=list(table.notes)
    )
    summary.failures.extend(parsed.failures)
    bar = progress(parsed.rows_read, "order rows")
    bar.advance(parsed.rows_read - sum(len(p.rows) for p in parsed.orders))
    try:
        for start in range(0, len(parsed.orders), batch_size):
            batch = parsed.orders[start : start + batch_size]
            try:
                outcomes = order_service.save_orders(
                    shop=shop, records=[p.record for p in batch], source="import"
                )
            except DatabaseError:
                # One order the database refused: find it by saving the batch one by one.
                outcomes = []
                for item in batch:
                    try:
                        outcomes += order_service.save_orders(
                            shop=shop, records=[item.record], source="import"
                        )
                    except DatabaseError as exc:
                        outcomes.append("")
                        reason = str(exc).strip().splitlines()[0]
                        summary.failures.append(
                            RowFailure(item.rows[0], f"not saved: {reason}", item.record.name)
                        )
            for outcome in outcomes:
                if outcome:
                    summary.count(outcome)
            bar.advance(sum(len(p.rows) for p in batch))
    finally:
        bar.close()
    summary.failures.sort(key=lambda f: f.row)
    return summary


def write_failures(summary: ImportSummary, path: Path | str) -> None:
    """The failed rows as a CSV (row, key, reason), safe to open in a spreadsheet."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "key", "reason"])
        for failure in summary.failures:
            writer.writerow(safe_row([failure.row, failure.key, failure.reason]))
