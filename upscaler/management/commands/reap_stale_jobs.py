"""manage.py reap_stale_jobs: re-dispatch (or fail) running jobs whose worker died, and re-send
jobs queued for too long (their task may have been lost)."""

from django.core.management.base import BaseCommand

from upscaler.services.recovery import results_reap_stale


class Command(BaseCommand):
    help = (
        "Find running jobs whose lease expired (their worker died): dispatch them again, or fail "
        "them with a reason after UPSCALER_JOB_MAX_ATTEMPTS attempts; send jobs queued for longer than "
        "UPSCALER_JOB_REQUEUE_SECONDS again. celery beat runs this every minute."
    )

    def handle(self, *args, **options):
        report = results_reap_stale()
        self.stdout.write(
            f"Re-dispatched {len(report.redispatched)} job(s), failed {len(report.failed)} job(s), "
            f"re-sent {len(report.requeued)} long-queued job(s)."
        )
