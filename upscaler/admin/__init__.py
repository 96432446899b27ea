"""Django admin: the review queue for submissions and a read-only view of results."""

from upscaler.admin.results import ResultAdmin
from upscaler.admin.submissions import SubmissionAdmin

__all__ = ["ResultAdmin", "SubmissionAdmin"]
