"""The index each embedding model gets, partial to its rows (`WHERE model = ...`).

The embedding column has no fixed dimension so that models of different
sizes can coexist; pgvector indexes need one, so each model gets an HNSW
index over `vector::vector(N)`. Queries must use the same expression and the
same `model = ...` condition for the planner to use it (ugc/selectors/search.py).
The exact scan of a selective filter probes the (asset_id) btree instead.

Tried and left out: a covering btree (asset_id) INCLUDE (vector) for that
exact scan. Its entries are ~1 KB, so the tree is one level deeper and a probe
reads as many pages as the plain index plus the table row; on the 1M-asset
bench it was no faster, and it doubled the vectors' storage.
"""

from __future__ import annotations

import hashlib

TABLE = "ugc_assetembedding"


def _suffix(model: str) -> str:
    return hashlib.sha256(model.encode()).hexdigest()[:8]


def hnsw_index_name(model: str) -> str:
    return f"asset_embedding_hnsw_{_suffix(model)}"


def vector_expression(dimensions: int) -> str:
    return f"(vector::vector({int(dimensions)}))"


def model_index_names(model: str) -> list[str]:
    return [hnsw_index_name(model)]


def ensure_model_indexes(connection, model: str, dimensions: int) -> list[str]:
    """Create the model's indexes that are missing; returns the names it has.

    Looks first: even CREATE INDEX IF NOT EXISTS is refused inside a
    transaction that already wrote to the table (pending foreign-key checks).
    """
    wanted = {
        hnsw_index_name(model): (f"USING hnsw ({vector_expression(dimensions)} vector_cosine_ops)"),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'i'",
            [list(wanted)],
        )
        present = {name for (name,) in cursor.fetchall()}
        for name, definition in wanted.items():
            if name not in present:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} {definition} WHERE model = %s",
                    [model],
                )
    return list(wanted)
