"""The bridges out of the Django side: the engine provider (settings → EngineConfig, the cached
model list), URL fetching (SSRF-checked), storage (S3) and how stored files are served, Redis
clients and the job-metrics store."""
