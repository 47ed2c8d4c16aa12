"""Parsers for everything that brings assets into the library, and the URL fetcher.

Pure code with no Django import: each parser turns a source (a folder, a CSV,
an Instagram Graph API export, a TikTok display-API export) into `ParsedItem`s,
one per asset, each either an `AssetInput` or a clear error for that item.
The single way in to the database is `ugc.services.ingest`.
"""

from ugc.ingest.items import AssetInput, ParsedItem, SourceError

__all__ = ["AssetInput", "ParsedItem", "SourceError"]
