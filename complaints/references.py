"""Human references such as GRV-2026-000123: a per-year number handed out by the database.

On PostgreSQL each year has a sequence (`complaints_reference_<year>`): `nextval` is atomic and takes
no lock that lasts until commit, so concurrent creates never queue on each other. (A counter row
updated inside the creating transaction did: its lock lasted until the commit's disk flush, and
creates were served one at a time: issue 11.) A year's sequence is made by its first create,
starting after that year's `ReferenceCounter` row if one exists (the counters of databases from
before the sequences; migration 0006 turned them into sequences).

On SQLite (the embedded default, which serialises writers anyway) the `ReferenceCounter` row is the
counter: UPDATE ... RETURNING inside the creating transaction.

Either way: unique, never random, counting up per year; a rolled-back create leaves a gap, which is
harmless and honest.
"""

from django.db import DatabaseError, IntegrityError, connection, transaction

from complaints.models import ReferenceCounter

PREFIX = "GRV"


def format_reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year}-{number:06d}"


def next_reference(year: int) -> str:
    """Hand out the next reference for `year`. Runs inside the creating transaction."""
    return format_reference(year, reserve_numbers(year, 1)[0])


def reserve_numbers(year: int, count: int) -> list[int]:
    """`count` unused numbers of `year`, ascending (contiguous unless others draw at the same time)."""
    year, count = int(year), int(count)
    if count < 1:
        return []
    if connection.vendor == "postgresql":
        return _from_sequence(year, count)
    return _from_counter(year, count)


# --- PostgreSQL: a sequence per year -------------------------------------------------------------
def sequence_name(year: int) -> str:
    return f"complaints_reference_{int(year)}"


def _from_sequence(year: int, count: int) -> list[int]:
    name = sequence_name(year)
    numbers = _draw(name, count)
    if numbers is None:
        _create_sequence(year)
        numbers = _draw(name, count)
    if numbers is None:  # could not be created (no CREATE privilege on the schema, for one)
        raise RuntimeError(
            f"The reference sequence {name} does not exist and could not be created: run "
            "`manage.py migrate` as a role that may create sequences, or create it by hand."
        )
    return numbers


def _draw(name: str, count: int) -> list[int] | None:
    """`count` values of sequence `name`, or None when it does not exist (without an error that
    would abort the transaction: the CASE never evaluates nextval for a missing sequence)."""
    with connection.cursor() as cursor:
        if count == 1:
            cursor.execute("SELECT CASE WHEN to_regclass(%s) IS NOT NULL THEN nextval(%s::text) END", [name, name])
        else:
            cursor.execute(
                "SELECT CASE WHEN to_regclass(%s) IS NOT NULL THEN nextval(%s::text) END FROM generate_series(1, %s)",
                [name, name, count],
            )
        values = [row[0] for row in cursor.fetchall()]
    return None if values[0] is None else sorted(values)


def _create_sequence(year: int) -> None:
    """The year's sequence, starting after its ReferenceCounter row (if any). In a savepoint: when
    two first creates of a year race, the loser's CREATE fails and it uses the winner's sequence."""
    start = (ReferenceCounter.objects.filter(year=year).values_list("last_value", flat=True).first() or 0) + 1
    name = connection.ops.quote_name(sequence_name(year))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} AS bigint START WITH {int(start)}")
    except DatabaseError:  # IntegrityError included
        pass  # a concurrent first create of the year made it (and has committed it by now)


# --- SQLite: the counter row --------------------------------------------------------------------
def _from_counter(year: int, count: int) -> list[int]:
    last = _increment(year, count)
    if last is None:
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(year=year, last_value=0)
        except IntegrityError:
            pass  # another transaction created this year's row first
        last = _increment(year, count)
    return list(range(last - count + 1, last + 1))


def _increment(year: int, count: int) -> int | None:
    """The counter for `year` plus `count`, or None when the year has no counter row yet."""
    qn = connection.ops.quote_name
    table, value, key = qn(ReferenceCounter._meta.db_table), qn("last_value"), qn("year")
    with connection.cursor() as cursor:
        # The UPDATE locks the row until commit: concurrent creates each read back their own value.
        cursor.execute(f"UPDATE {table} SET {value} = {value} + %s WHERE {key} = %s RETURNING {value}", [count, year])
        row = cursor.fetchone()
    return row[0] if row else None
