"""Training and evaluation of our generators (uses upscaler.engine, never Django)."""
