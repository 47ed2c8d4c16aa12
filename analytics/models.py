"""Tables of the analytics app (models arrive with their issues)."""
