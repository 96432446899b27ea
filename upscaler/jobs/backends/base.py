"""The contract every job backend keeps."""

from __future__ import annotations


class JobBackend:
    #: Short name, shown by /readyz and in logs.
    name = "base"
    #: True when jobs run in the web process itself (then no worker heartbeat is expected, and the
    #: in-memory channel layer reaches the browsers).
    runs_in_process = False
    #: True when jobs a previous process left `queued` or `running` are this process's to resume
    #: at start (embedded mode: no other worker will ever take them).
    resumes_at_startup = False

    def enqueue(self, name: str, kwargs: dict) -> None:
        """Start job `name` (a registered task name) with `kwargs`; return without waiting."""
        raise NotImplementedError

    def shutdown(self, *, wait: bool) -> None:
        """Stop accepting jobs; one already running may finish (or is recovered at next start)."""
