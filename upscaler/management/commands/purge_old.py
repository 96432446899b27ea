"""manage.py purge_old [--days N] [--dry-run]: delete submissions older than the retention age."""

from django.core.management.base import BaseCommand, CommandError

from upscaler.services.retention import submissions_purge_old


class Command(BaseCommand):
    help = (
        "Delete submissions (files and rows) with no activity for UPSCALER_RETENTION_DAYS days; "
        "gallery items (approved/featured) are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override UPSCALER_RETENTION_DAYS (0: keep all)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        try:
            report = submissions_purge_old(days=days, dry_run=dry_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if report.cutoff is None:
            self.stdout.write("Retention is off (0 days): nothing deleted.")
            return
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {report.submissions} submission(s) and {report.results} result(s) "
            f"with no activity since {report.cutoff:%Y-%m-%d %H:%M} UTC."
        )
