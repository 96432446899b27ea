"""Services own every write: submissions (uploads), results (job lifecycle), references."""
