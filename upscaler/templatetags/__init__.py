"""Template tags of the comparison viewer (sizes, formats, the viewer's JSON)."""
