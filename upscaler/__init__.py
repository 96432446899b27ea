"""Upscaler app: submissions, jobs and notifications; `upscaler.engine` is the Django-free core."""
