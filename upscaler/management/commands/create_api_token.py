"""manage.py create_api_token USERNAME: create the user if needed and print a new API token."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from upscaler.services.tokens import api_token_create


class Command(BaseCommand):
    help = "Create USERNAME if needed (with no usable password) and print a new API token for it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="the token's name (default: cli-<timestamp>)")

    def handle(self, *args, username, name, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            self.stderr.write(f"Created user {username!r} (no password: sign-in is by token only).")
        name = name or f"cli-{timezone.now():%Y%m%d-%H%M%S-%f}"
        try:
            _token, key = api_token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(key)
