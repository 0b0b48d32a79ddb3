"""`manage.py escalate_overdue`: the SLA sweep by hand (the beat task runs the same services)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from complaints.services import sweeps


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Escalate every open complaint past its due time one level up the department tree, then close "
        "resolved complaints whose reopen window has passed. Safe to run again and alongside the beat task."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Change nothing; list what would be escalated.")
        parser.add_argument("--limit", type=positive_int, help="Handle at most this many overdue complaints.")
        parser.add_argument(
            "--batch-size", type=positive_int, default=500, help="Complaints read per batch (default: %(default)s)."
        )
        parser.add_argument("--no-close", action="store_true", help="Do not close expired resolved complaints.")

    def handle(self, *args, dry_run: bool, limit: int | None, batch_size: int, no_close: bool, **options):
        verb = "would escalate" if dry_run else "escalated"

        def progress(done: int, total: int) -> None:
            percent = 100 * done // total if total else 100
            self.stdout.write(f"{verb} {done}/{total} ({percent}%)")

        try:
            result = sweeps.escalate_overdue(limit=limit, batch_size=batch_size, dry_run=dry_run, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if dry_run:
            for plan in result.planned:
                self.stdout.write(
                    f"  {plan.reference}: {plan.from_department} -> {plan.to_department} (level {plan.level})"
                )
            self.stdout.write(self.style.SUCCESS(f"Dry run: {len(result.planned)} complaint(s) would be escalated."))
        else:
            style = self.style.ERROR if result.errors else self.style.SUCCESS
            self.stdout.write(
                style(
                    f"Escalated {result.escalated} complaint(s) ({result.at_top} at the top of the tree), "
                    f"skipped {result.skipped}, errors {result.errors}."
                )
            )
        if result.at_max_level:
            self.stdout.write(
                f"{result.at_max_level} overdue complaint(s) are at their highest escalation level and stay with "
                "their department's manager."
            )
        if not no_close:
            closed = sweeps.close_expired_resolved(dry_run=dry_run)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{'Would close' if dry_run else 'Closed'} {closed} resolved complaint(s) past the reopen window."
                )
            )
        if result.errors:
            raise CommandError(f"{result.errors} complaint(s) could not be escalated; see the log.")
