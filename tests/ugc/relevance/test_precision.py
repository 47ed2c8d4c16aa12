"""Search relevance measured on a judged query set (judged.json): for each query,
precision@10 (the share of the results shown, at most ten, that are relevant) and
recall@10 (the share of the relevant assets, at most ten, found among them). Each
query must stay at or above its floor; a query judged to have no relevant asset
(nonsense) must return nothing.

`uv run pytest tests/ugc/relevance -q -s` prints the table."""

import json
from pathlib import Path

import pytest

from ugc.models import Asset
from ugc.selectors.search import SearchRequest, search
from ugc.services.search_index import embed_assets, refresh_search_vectors

pytestmark = pytest.mark.django_db

JUDGED = json.loads((Path(__file__).parent / "judged.json").read_text())
TOP = 10


def load_library() -> dict[str, int]:
    """The judged assets, indexed as ingest indexes them: key -> asset id."""
    keys = {}
    for key, fields in JUDGED["assets"].items():
        asset = Asset.objects.create(media_type="image", source_platform="instagram", **fields)
        keys[key] = asset.pk
    refresh_search_vectors(keys.values())
    embed_assets(keys.values())
    return keys


def run(query: dict) -> list[int]:
    text = query["text"]
    request = (
        SearchRequest(semantic=text, limit=TOP)
        if query["mode"] == "semantic"
        else SearchRequest(text=text, limit=TOP)
    )
    return [hit.asset_id for hit in search(Asset.objects.all(), request)][:TOP]


def figures(shown: list[int], relevant: set[int]) -> tuple[float, float]:
    """(precision@10, recall@10); a query with nothing relevant scores 1 only when empty."""
    if not relevant:
        return (1.0, 1.0) if not shown else (0.0, 1.0)
    found = len([pk for pk in shown if pk in relevant])
    precision = found / len(shown) if shown else 0.0
    return precision, found / min(TOP, len(relevant))


def test_each_judged_query_stays_above_its_floor():
    keys = load_library()
    rows, below = [], []
    for query in JUDGED["queries"]:
        shown = run(query)
        precision, recall = figures(shown, {keys[k] for k in query["relevant"]})
        floor = query.get("floor", {"precision": 0.0, "recall": 0.0})
        rows.append(
            f"{query['mode']:8} {query['text'][:40]:40} "
            f"P@10 {precision:.2f}  R@10 {recall:.2f}  shown {len(shown)}"
        )
        if precision < floor["precision"] or recall < floor["recall"]:
            below.append(
                f"{query['text']!r}: P@10 {precision:.2f} R@10 {recall:.2f}, floor {floor}"
            )
    print("\n" + "\n".join(rows))
    assert not below, "\n".join(below)
