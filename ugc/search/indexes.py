"""One partial HNSW index per embedding model, over `vector::vector(N)`.

The embedding column has no fixed dimension so that models of different
sizes can coexist; pgvector indexes need one, so each model gets an
expression index restricted to its rows. Queries must use the same
expression and the same `model = ...` condition for the planner to use it
(see `distance_sql`).
"""

from __future__ import annotations

import hashlib

TABLE = "ugc_assetembedding"


def hnsw_index_name(model: str) -> str:
    return f"asset_embedding_hnsw_{hashlib.sha256(model.encode()).hexdigest()[:8]}"


def vector_expression(dimensions: int) -> str:
    return f"(vector::vector({int(dimensions)}))"


def ensure_hnsw_index(connection, model: str, dimensions: int) -> str:
    """Create the model's HNSW index if it is missing; returns its name.

    Looks first: even CREATE INDEX IF NOT EXISTS is refused inside a
    transaction that already wrote to the table (pending foreign-key checks).
    """
    name = hnsw_index_name(model)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return name
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} USING hnsw "
            f"({vector_expression(dimensions)} vector_cosine_ops) WHERE model = %s",
            [model],
        )
    return name
