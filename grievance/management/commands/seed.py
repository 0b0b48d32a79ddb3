"""`manage.py seed`: demo data for a new installation. Idempotent: run it as often as you like."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Role, User
from complaints.seed import seed_demo_complaints
from departments.seed import seed_demo_staff, seed_reference_data, summary

DEMO_PASSWORD = "demo-pass-2026"

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

    @transaction.atomic
    def handle(self, *args, password: str, **options):
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
        self.stdout.write(f"Password for every demo user: {password}")
        for role, email, phone in rows:
            self.stdout.write(f"  {role:<11} {email:<36} {phone}")
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
