"""Tables of the commerce app (models arrive with their issues)."""
