"""`manage.py deliver_pending_notifications [--limit N]`: send channel deliveries left pending.

The same work as the `notifications.tasks.deliver_pending_notifications` beat task, for operators
(e.g. right after the broker comes back). Safe to run at any time and alongside workers: each
delivery is claimed before it is sent, so nothing goes out twice.
"""

from django.core.management.base import BaseCommand

from notifications.services import deliver_pending


class Command(BaseCommand):
    help = "Send notification deliveries (SMS, email, ...) that have been pending for over a minute."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="At most this many deliveries (default 1000).")

    def handle(self, *args, limit: int, **options):
        counts = deliver_pending(limit=max(limit, 0))
        self.stdout.write(
            self.style.SUCCESS(
                f"Pending deliveries: {counts['sent']} sent, {counts['retry']} failed and left for a retry, "
                f"{counts['failed']} given up, {counts['skipped']} taken by another worker."
            )
        )
