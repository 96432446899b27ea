"""Gallery app: presentation of finished results (filled in by a later issue)."""
