"""Management commands: upscale, evaluate, train (the training CLI), purge_old, reap_stale_jobs,
create_api_token."""
