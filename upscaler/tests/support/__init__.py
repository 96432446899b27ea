"""Shared test support: factories, servers and browsers, a websocket client, the fault-injecting
Celery worker, and a job backend that records instead of running."""
