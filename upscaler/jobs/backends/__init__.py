"""Job backends, one module each, chosen by the dotted path in settings.UPSCALER_JOB_BACKEND."""

#: What the UPSCALER_JOB_BACKEND environment variable may also say instead of a dotted path.
ALIASES = {
    "celery": "upscaler.jobs.backends.celery.CeleryBackend",
    "thread": "upscaler.jobs.backends.thread.ThreadBackend",
    "inline": "upscaler.jobs.backends.inline.InlineBackend",
}
