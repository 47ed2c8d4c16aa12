"""The one error this package raises for bad input."""


class MediaRejected(Exception):
    """A file we refuse, with a sentence for the coordinator (stored as failure_reason)."""

    def __init__(self, reason: str, *, code: str = "rejected"):
        super().__init__(reason)
        self.reason = reason
        self.code = code
