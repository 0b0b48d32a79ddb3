"""Human references such as GRV-2026-000123: a per-year counter incremented in the database."""

from django.db import IntegrityError, transaction
from django.db.models import F

from complaints.models import ReferenceCounter

PREFIX = "GRV"


def format_reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year}-{number:06d}"


def next_reference(year: int) -> str:
    """Hand out the next reference for `year`. Must run inside the creating transaction.

    The UPDATE takes the counter row's lock until commit, so concurrent creates queue on it and each
    reads back its own value: no duplicates, no gaps from races (a rolled-back create does leave a gap,
    which is harmless and honest).
    """
    if not ReferenceCounter.objects.filter(year=year).exists():
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(year=year, last_value=0)
        except IntegrityError:
            pass  # another transaction created this year's row first
    ReferenceCounter.objects.filter(year=year).update(last_value=F("last_value") + 1)
    number = ReferenceCounter.objects.values_list("last_value", flat=True).get(year=year)
    return format_reference(year, number)
