"""Keeping assets findable: their full-text vectors and their embeddings.

Both are derived data, rebuilt from the asset's words and tags whenever those
change, idempotently: running a refresh twice writes the same thing, and an
embedding is recomputed only when the text it came from changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from core.effects import enqueue_after_commit
from ugc.models import Asset, AssetEmbedding
from ugc.search.embedding import (
    Source,
    TextEmbedder,
    asset_text,
    embed_sources,
    sees_images,
)
from ugc.search.indexes import ensure_model_indexes
from ugc.services.embedders import backend_sees_images, default_embedder, open_picture

# Asset language (BCP 47 primary subtag) -> PostgreSQL text search configuration.
LANGUAGE_CONFIGS = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}


def search_config(language: str | None) -> str:
    """The text search configuration for a language code ("pt-BR" -> "portuguese")."""
    primary = (language or "").split("-")[0].split("_")[0].lower()
    return LANGUAGE_CONFIGS.get(primary, "simple")


def _config_case(column: str) -> str:
    whens = " ".join(
        f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in LANGUAGE_CONFIGS.items()
    )
    return (
        f"(CASE lower(split_part(split_part({column}, '-', 1), '_', 1)) {whens} "
        "ELSE 'simple'::regconfig END)"
    )


def _weighted(text_sql: str, weight: str) -> str:
    # Stemmed in the asset's language, and unstemmed ('simple') so that a
    # query in another language still finds the exact words.
    return (
        f"setweight(to_tsvector(cfg.config, {text_sql}), '{weight}') || "
        f"setweight(to_tsvector('simple', {text_sql}), '{weight}')"
    )


# Hashtags and product (line) names: A; creator handle and free tags: B; caption, alt text: C.
REFRESH_SQL = f"""
WITH words AS (
    SELECT a.id,
           {_config_case("a.language")} AS config,
           coalesce(array_to_string(a.hashtags, ' '), '') || ' ' || coalesce((
               SELECT string_agg(p.title, ' ')
               FROM ugc_producttag pt JOIN commerce_product p ON p.id = pt.product_id
               WHERE pt.asset_id = a.id AND pt.accepted), '') || ' ' || coalesce((
               SELECT string_agg(pl.name, ' ')
               FROM ugc_productlinetag plt
               JOIN commerce_productline pl ON pl.id = plt.product_line_id
               WHERE plt.asset_id = a.id AND plt.accepted), '') AS top,
           coalesce(c.handle, '') || ' ' || coalesce(array_to_string(a.tags, ' '), '') AS middle,
           coalesce(a.caption, '') || ' ' || coalesce(a.alt_text, '') AS body
    FROM ugc_asset a LEFT JOIN ugc_creator c ON c.id = a.creator_id
    WHERE a.id = ANY(%s)
)
UPDATE ugc_asset a
SET search_vector = {_weighted("replace(cfg.top, '_', ' ')", "A")}
                 || {_weighted("replace(cfg.middle, '_', ' ')", "B")}
                 || {_weighted("cfg.body", "C")}
FROM words cfg
WHERE a.id = cfg.id
"""  # noqa: S608 (no user input in the SQL text; ids are a parameter)


def refresh_search_vectors(asset_ids: Iterable[int]) -> int:
    """Rebuild the full-text vectors of these assets; returns how many were updated."""
    ids = list(asset_ids)
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_SQL, [ids])
        return cursor.rowcount


def embedding_text(asset: Asset) -> str:
    products = [tag.product.title for tag in asset.product_tags.all() if tag.accepted]
    return asset_text(
        caption=asset.caption,
        hashtags=asset.hashtags,
        alt_text=asset.alt_text,
        product_names=products,
    )


PICTURE_MIN_WIDTH = 224  # what CLIP-like image towers look at


def embedding_picture(asset: Asset) -> str:
    """The image rendition an image-seeing model looks at (a video's poster too): the
    smallest one wide enough, else the widest; "" before processing made any."""
    stills = sorted(
        (r for r in asset.renditions.all() if r.kind == "image" and r.file), key=lambda r: r.width
    )
    wide = [r for r in stills if r.width >= PICTURE_MIN_WIDTH]
    chosen = wide[0] if wide else (stills[-1] if stills else None)
    return chosen.file.name if chosen else ""


def upsert_embeddings(table, owner: str, texts: dict, embedder: TextEmbedder) -> dict:
    """Embed each owner's text (or Source) into `table` (AssetEmbedding or ProductEmbedding).

    `texts` maps owner object -> text or Source. A source that did not change since it
    was embedded is skipped; an owner with nothing to embed loses its vector of this
    model (it no longer describes the owner). Returns counts: embedded, unchanged, empty.
    """
    if table is AssetEmbedding:  # products are few: an exact scan serves them
        ensure_model_indexes(connection, embedder.name, embedder.dimensions)
    known = dict(
        table.objects.filter(**{f"{owner}__in": list(texts)}, model=embedder.name).values_list(
            f"{owner}_id", "source_hash"
        )
    )
    todo, empty, unchanged = [], [], 0
    for obj, value in texts.items():
        source = value if isinstance(value, Source) else Source(value)
        if source.is_empty():
            empty.append(obj.pk)
        elif known.get(obj.pk) == source.digest():
            unchanged += 1
        else:
            todo.append((obj, source))
    table.objects.filter(**{f"{owner}_id__in": empty}, model=embedder.name).delete()
    if todo:
        vectors = embed_sources(embedder, [source for _, source in todo], open_picture)
        table.objects.bulk_create(
            [
                table(
                    **{owner: obj}, model=embedder.name, vector=vector, source_hash=source.digest()
                )
                for (obj, source), vector in zip(todo, vectors, strict=True)
            ],
            update_conflicts=True,
            unique_fields=[owner, "model"],
            update_fields=["vector", "source_hash", "created_at"],
        )
    return {"embedded": len(todo), "unchanged": unchanged, "empty": len(empty)}


@transaction.atomic
def embed_assets(asset_ids: Iterable[int], *, embedder: TextEmbedder | None = None) -> dict:
    """Embed these assets under the current model (see upsert_embeddings): their words,
    and their picture when the model sees images."""
    embedder = embedder or default_embedder()
    pictures = sees_images(embedder)
    assets = Asset.objects.filter(pk__in=list(asset_ids)).prefetch_related(
        "product_tags__product", *(["renditions"] if pictures else [])
    )
    return upsert_embeddings(
        AssetEmbedding,
        "asset",
        {
            asset: Source(embedding_text(asset), embedding_picture(asset) if pictures else "")
            for asset in assets
        },
        embedder,
    )


INDEXING_BATCH = 500


def request_indexing(asset_ids: Iterable[int]) -> None:
    """Queue a refresh of these assets' search data once the transaction commits,
    in batches (an import of thousands makes a few tasks, not thousands)."""
    from ugc.tasks import embed_assets

    ids = sorted(set(asset_ids))
    for start in range(0, len(ids), INDEXING_BATCH):
        batch = ids[start : start + INDEXING_BATCH]
        # A broker that is down: the pipeline's requeue_stalled() asks for these
        # assets' indexing again.
        enqueue_after_commit(embed_assets, batch)


def request_picture_indexing(asset_id: int) -> None:
    """After processing made an asset's renditions: a model that sees images embeds the
    asset again, now with its picture (a text-only model has nothing new to see)."""
    if backend_sees_images():
        request_indexing([asset_id])
