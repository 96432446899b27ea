"""The DRF API under /api/v1/ (thin views; services write, selectors read)."""
