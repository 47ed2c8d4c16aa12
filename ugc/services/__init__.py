"""Every write to the library goes through these functions (docs/architecture.md, the layers).

- assets.py: metadata edits, state transitions, creators, the audit trail
- pipeline.py: the media pipeline's steps and their scheduling
- ingest.py: uploads, imports and downloads that create assets
"""
