"""Tables of the ugc app (models arrive with their issues)."""
