"""`manage.py seed`: demo data for a new installation. Idempotent: run it as often as you like."""

import logging

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import Role, User
from analytics.seed import seed_demo_history
from complaints.seed import seed_demo_complaints
from departments.seed import seed_demo_staff, seed_reference_data, summary

DEMO_PASSWORD = "demo-pass-2026"
IN_MEMORY_SMS = "notifications.sms.backends.locmem.SmsBackend"
IN_MEMORY_EMAIL = "django.core.mail.backends.locmem.EmailBackend"

# One demo user per role; known passwords so a newcomer can log in at once.
DEMO_USERS = [
    {"email": "admin@demo.grievance.local", "full_name": "Asha Admin", "role": Role.ADMIN},
    {"email": "executive@demo.grievance.local", "full_name": "Esha Executive", "role": Role.EXECUTIVE},
    {"email": "dispatcher@demo.grievance.local", "full_name": "Dev Dispatcher", "role": Role.DISPATCHER},
    {"email": "manager@demo.grievance.local", "full_name": "Meera Manager", "role": Role.MANAGER},
    {"email": "officer@demo.grievance.local", "full_name": "Omar Officer", "role": Role.OFFICER},
    {
        "email": "citizen@demo.grievance.local",
        "phone": "+919800000001",
        "full_name": "Chitra Citizen",
        "role": Role.CITIZEN,
    },
    {"email": "service@demo.grievance.local", "full_name": "AI intake service", "role": Role.SERVICE},
]


class Command(BaseCommand):
    help = (
        "Create demo users (one per role) with known passwords, the reference data (departments, "
        "categories, SLA policies, closure reasons), demo staff per department and about forty demo "
        "complaints in every state. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help="Password for the demo users (default: %(default)s)."
        )

    def handle(self, *args, password: str, **options):
        # Demo data walks complaints through the real services, which notify people. Demo phone
        # numbers may belong to real people: keep those texts and emails in memory (they still
        # show in the demo users' in-app inboxes), and keep the task log quiet.
        task_log = logging.getLogger("celery.app.trace")
        level = task_log.level
        task_log.setLevel(logging.WARNING)
        try:
            with override_settings(SMS_BACKEND=IN_MEMORY_SMS, EMAIL_BACKEND=IN_MEMORY_EMAIL):
                rows = self._seed(password=password)
        finally:
            task_log.setLevel(level)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {password}):"))
        for role, email, phone in rows:
            self.stdout.write(f"  {role:<11} {email:<36} {phone}")
        self.stdout.write("  Every department also has officer.<code>@ and manager.<code>@demo.grievance.local.")

    @transaction.atomic
    def _seed(self, *, password: str) -> list[tuple[str, str, str]]:
        created = 0
        rows = []
        for spec in DEMO_USERS:
            spec = dict(spec)
            email = spec.pop("email")
            user, was_created = User.objects.get_or_create(email=email, defaults=spec)
            if was_created:
                user.set_password(password)
                user.save(update_fields=["password"])
                created += 1
            rows.append((user.role, email, user.phone or ""))
        self.stdout.write(self.style.SUCCESS(f"Demo users: {created} created, {len(rows) - created} already present."))
        self.stdout.write("Reference data:")
        counts = seed_reference_data(stdout=self.stdout)
        counts.update(seed_demo_staff(password=password, stdout=self.stdout))
        self.stdout.write(self.style.SUCCESS(f"Reference data: {summary(counts)}."))
        self.stdout.write("Demo complaints:")
        demo = seed_demo_complaints(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo complaints: {demo['complaints']['total']} ({demo['complaints']['created']} new) "
                f"from {demo['citizens']['total']} demo citizens ({demo['citizens']['created']} new)."
            )
        )
        self.stdout.write("Analytics history:")
        history = seed_demo_history(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Analytics history: {history['created']} complaints written."))
        return rows
