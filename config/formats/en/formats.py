"""English dates in the workspace: ISO, as the team has always read them."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
