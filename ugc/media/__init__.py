"""Pure media code: sniffing, decoding, renditions, hashes, measures, video.

No Django imports here (docs/architecture.md, the layers): the pipeline service in
ugc/services/pipeline.py passes settings in as arguments, so this package is
fast to test and easy to benchmark on its own.
"""

from ugc.media.errors import MediaRejected

__all__ = ["MediaRejected"]
