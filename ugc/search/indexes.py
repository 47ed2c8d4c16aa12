"""The indexes each embedding model gets, partial to its rows (`WHERE model = ...`).

The embedding column has no fixed dimension so that models of different
sizes can coexist; pgvector indexes need one, so each model gets:

- an HNSW index over `vector::vector(N)`, for searches over most of the
  library. Queries must use the same expression and the same `model = ...`
  condition for the planner to use it (see ugc/search/query.py);
- a covering btree on asset_id that carries the vector, for the exact scan of
  a selective filter: each filtered asset's vector is read from the index
  alone (an index-only scan), without a visit to the table's heap. Made only
  where a vector fits in a btree entry (a third of a page).
"""

from __future__ import annotations

import hashlib

TABLE = "ugc_assetembedding"
# A btree entry holds at most ~2,700 bytes: float32 vectors up to this size fit, with room.
COVERING_MAX_DIMENSIONS = 600


def _suffix(model: str) -> str:
    return hashlib.sha256(model.encode()).hexdigest()[:8]


def hnsw_index_name(model: str) -> str:
    return f"asset_embedding_hnsw_{_suffix(model)}"


def covering_index_name(model: str) -> str:
    return f"asset_embedding_exact_{_suffix(model)}"


def vector_expression(dimensions: int) -> str:
    return f"(vector::vector({int(dimensions)}))"


def model_index_names(model: str) -> list[str]:
    return [hnsw_index_name(model), covering_index_name(model)]


def ensure_model_indexes(connection, model: str, dimensions: int) -> list[str]:
    """Create the model's indexes that are missing; returns the names it has.

    Looks first: even CREATE INDEX IF NOT EXISTS is refused inside a
    transaction that already wrote to the table (pending foreign-key checks).
    """
    wanted = {
        hnsw_index_name(model): (f"USING hnsw ({vector_expression(dimensions)} vector_cosine_ops)"),
    }
    if dimensions <= COVERING_MAX_DIMENSIONS:
        wanted[covering_index_name(model)] = "(asset_id) INCLUDE (vector)"
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
