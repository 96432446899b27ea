"""manage.py reap_stale_jobs: re-dispatch (or fail) running jobs whose worker died."""

from django.core.management.base import BaseCommand

from upscaler.services.recovery import results_reap_stale


class Command(BaseCommand):
    help = (
        "Find running jobs whose lease expired (their worker died): dispatch them again, or fail "
        "them with a reason after UPSCALER_JOB_MAX_ATTEMPTS attempts. celery beat runs this every minute."
    )

    def handle(self, *args, **options):
        report = results_reap_stale()
        self.stdout.write(
            f"Re-dispatched {len(report.redispatched)} job(s), failed {len(report.failed)} job(s)."
        )
