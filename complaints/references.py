"""Human references such as GRV-2026-000123: a per-year counter incremented in the database."""

from django.db import IntegrityError, connection, transaction

from complaints.models import ReferenceCounter

PREFIX = "GRV"


def format_reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year}-{number:06d}"


def next_reference(year: int) -> str:
    """Hand out the next reference for `year`. Must run inside the creating transaction.

    The UPDATE takes the counter row's lock until commit, so concurrent creates queue on it and each
    reads back its own value (one statement: UPDATE ... RETURNING): no duplicates, no gaps from races
    (a rolled-back create does leave a gap, which is harmless and honest).
    """
    number = _increment(year)
    if number is None:
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(year=year, last_value=0)
        except IntegrityError:
            pass  # another transaction created this year's row first
        number = _increment(year)
    return format_reference(year, number)


def _increment(year: int) -> int | None:
    """The counter for `year` plus one, or None when the year has no counter row yet."""
    qn = connection.ops.quote_name
    table, value, key = qn(ReferenceCounter._meta.db_table), qn("last_value"), qn("year")
    with connection.cursor() as cursor:
        # PostgreSQL and SQLite (3.35+) both return the updated value.
        cursor.execute(f"UPDATE {table} SET {value} = {value} + 1 WHERE {key} = %s RETURNING {value}", [year])
        row = cursor.fetchone()
    return row[0] if row else None
