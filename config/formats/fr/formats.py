"""French dates in the workspace: "7 déc. 2026", "7 déc. 2026 14:05"."""

DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y H:i"
