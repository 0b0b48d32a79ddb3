"""`manage.py create_api_key NAME --scope intake [--owner EMAIL]`: a key for a service, printed once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from accounts.models import ApiKeyScope
from accounts.services import api_key_create, service_account_get_or_create


class Command(BaseCommand):
    help = (
        "Create an API key for a service account and print it once (only its hash is stored). "
        "Without --owner, a service account named after the key is created or reused."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the key is for, e.g. 'AI intake'.")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=ApiKeyScope.values,
            required=True,
            help="A scope the key carries; repeat for several.",
        )
        parser.add_argument("--owner", help="Email of the service account (created if it does not exist).")

    def handle(self, *args, name: str, scopes: list[str], owner: str | None, **options):
        email = owner or f"{slugify(name) or 'service'}@services.invalid"
        try:
            account, created = service_account_get_or_create(email=email, full_name=name)
            key, plaintext = api_key_create(name=name, owner=account, scopes=scopes)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if created:
            self.stderr.write(f"Created service account {account.email}.")
        scopes_text = ", ".join(key.scopes)
        summary = f"API key '{key.name}' ({key.prefix}) for {account.email}: {scopes_text}."
        self.stderr.write(self.style.SUCCESS(summary))
        self.stderr.write("Store it now; it cannot be shown again. Send it as: Authorization: Api-Key <key>")
        # The key alone on stdout, so scripts can capture it.
        self.stdout.write(plaintext)
