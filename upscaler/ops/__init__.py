"""Operating the site: /healthz, /readyz (checks) and /metrics (Prometheus collectors), and the
request middleware that counts responses and binds the log context."""
