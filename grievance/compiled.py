"""Querysets (and INSERTs) compiled to SQL once per process and shape, run with fresh parameters
(issue 11).

Django compiles a queryset to SQL on every evaluation: for the API's hottest reads (a page of
complaints, one complaint) that compilation was a third of the request's Python. Here the ORM still
writes the statement, from the same querysets and rules as everywhere else (the visibility gate,
the list's ordering), but once: the queryset is built with *sentinel* arguments, compiled, and the
positions of the sentinels among the statement's parameters are remembered. Each later call with
the same shape key puts its own arguments in those positions and runs the cached SQL.

The shape key must name everything that changes the statement's text (which branch of a rule, how
many values in an IN list); the arguments are the values that only change its parameters. A build
whose arguments do not all reach the parameters (inlined, transformed, dropped) fails at once,
rather than ever running with a stale value.

Rows come back as tuples in the order of the queryset's `values_list` names, with the backend's
converters applied as the ORM would (JSON text decoded, SQLite's datetimes parsed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model, QuerySet, signals

# Integers inside PostgreSQL's int4 range (Django answers out-of-range integer lookups without SQL)
# and strings unchanged by the normalisations lookups apply (upper(), strip()); never real values.
_INT_SENTINEL = -1_900_000_000
_STR_SENTINEL = "\x01GRVSENTINEL{}\x01"

MAX_SHAPES = 512


class CompileError(RuntimeError):
    """A build whose arguments do not map onto the statement's parameters one to one."""


def _sentinel(index: int, example):
    if isinstance(example, bool) or not isinstance(example, int | str):
        raise CompileError(f"argument {index}: only int and str arguments can be compiled once, not {example!r}")
    return _INT_SENTINEL - index if isinstance(example, int) else _STR_SENTINEL.format(index)


@dataclass(frozen=True)
class CompiledQuery:
    using: str
    sql: str
    template: tuple
    slots: tuple[tuple[int, int], ...]  # (parameter position, argument index)
    names: tuple[str, ...]
    converters: tuple  # ((column index, (converter functions, expression)), ...)

    def params(self, args: Sequence) -> list:
        params = list(self.template)
        for position, index in self.slots:
            params[position] = args[index]
        return params

    def rows(self, args: Sequence, *, limit: int | None = None, offset: int = 0) -> list[tuple]:
        sql, params = self.sql, self.params(args)
        if limit is not None:
            sql, params = f"{sql} LIMIT %s OFFSET %s", [*params, limit, offset]
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if self.converters and rows:
            rows = [self._convert(row, connection) for row in rows]
        return rows

    def _convert(self, row: tuple, connection) -> tuple:
        row = list(row)
        for position, (functions, expression) in self.converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        return tuple(row)


_cache: dict[Hashable, CompiledQuery] = {}
_lock = threading.Lock()


def compiled(key: Hashable, build: Callable[..., QuerySet], args: Sequence) -> CompiledQuery:
    """`build(*args)`, a `values_list` queryset, compiled once per `key`. `args` are this call's
    values; only their types matter for compiling."""
    entry = _cache.get(("rows", key))
    return entry if entry is not None else _remember(("rows", key), _compile(build, args))


def _remember(key: Hashable, entry: CompiledQuery) -> CompiledQuery:
    with _lock:
        if len(_cache) >= MAX_SHAPES:
            _cache.clear()
        _cache[key] = entry
    return entry


def _compile(build: Callable[..., QuerySet], args: Sequence) -> CompiledQuery:
    sentinels = [_sentinel(index, arg) for index, arg in enumerate(args)]
    queryset = build(*sentinels)
    query = queryset.query
    if query.extra_select or query.annotation_select:
        raise CompileError("only plain values_list() querysets (no selected annotations or extra)")
    compiler = query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
    converters = compiler.get_converters(columns)
    names = tuple(query.values_select) or tuple(field.attname for field in query.model._meta.concrete_fields)
    return _finish(queryset.db, sql, params, sentinels, names, tuple(converters.items()))


def compiled_count(key: Hashable, build: Callable[..., QuerySet], args: Sequence) -> CompiledQuery:
    """How many rows `build(*args)` has: COUNT(*) over its ids, compiled once per `key` (`rows()`
    is [(n,)])."""
    entry = _cache.get(("count", key))
    if entry is not None:
        return entry
    sentinels = [_sentinel(index, arg) for index, arg in enumerate(args)]
    queryset = build(*sentinels).order_by().values_list("pk")
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    counted = _finish(queryset.db, f"SELECT COUNT(*) FROM ({sql}) counted", params, sentinels, ("count",), ())
    return _remember(("count", key), counted)


def _finish(using, sql, params, sentinels, names, converters) -> CompiledQuery:
    params = tuple(params)
    slots = []
    for index, sentinel in enumerate(sentinels):
        positions = [
            position for position, value in enumerate(params) if type(value) is type(sentinel) and value == sentinel
        ]
        if not positions:
            raise CompileError(f"argument {index} does not reach the statement's parameters: {sql}")
        slots.extend((position, index) for position in positions)
        if str(sentinel) in sql:
            raise CompileError(f"argument {index} was inlined into the statement: {sql}")
    return CompiledQuery(using, sql, params, tuple(slots), names, converters)


def model_lookups(model, prefix: str = "") -> tuple[str, ...]:
    """The `values()` lookups of every concrete column of `model` (behind `prefix`, a relation path
    like "default_department__"), in field order: what `from_values` rebuilds an instance from."""
    return tuple(f"{prefix}{field.name}" for field in model._meta.concrete_fields)


def from_values(model, row: dict, prefix: str = "", using: str = DEFAULT_DB_ALIAS):
    """The `model` instance whose columns `row` holds under `model_lookups(model, prefix)`, as the
    ORM would load it (None when its primary key is NULL: an empty outer join)."""
    fields = model._meta.concrete_fields
    values = [row[f"{prefix}{field.name}"] for field in fields]
    if values[[field.primary_key for field in fields].index(True)] is None:
        return None
    return model.from_db(using, [field.attname for field in fields], values)


# --- INSERT, written once per model -----------------------------------------------------------
_inserts: dict = {}


def insert(obj, using: str = DEFAULT_DB_ALIAS) -> None:
    """Save the new instance `obj` as `obj.save()` does (field pre_save: auto_now and friends, the
    same value preparation, INSERT ... RETURNING its primary key), with the statement written once
    per process and model instead of compiled on each save. Models that are not plain (parents,
    ordering with respect to, save signals listened to, a primary key already set, expressions as
    values, fields with their own placeholders) go through `obj.save()`."""
    model = type(obj)
    meta = model._meta
    if (
        meta.parents
        or meta.order_with_respect_to
        or not obj._state.adding
        or obj.pk is not None
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
        or model.save is not Model.save
    ):
        obj.save(using=using)
        return
    connection = connections[using]
    entry = _inserts.get((model, using))
    if entry is None:
        entry = _inserts[(model, using)] = _insert_statement(model, connection)
    sql, fields, returning = entry
    obj._prepare_related_fields_for_save(operation_name="save")
    values = []
    for field in fields:
        value = field.pre_save(obj, add=True)
        if hasattr(value, "resolve_expression"):
            obj.save(using=using)
            return
        values.append(field.get_db_prep_save(value, connection=connection))
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    for value, field in zip(row, returning, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = using


def _insert_statement(model, connection) -> tuple[str, list, tuple]:
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
    if any(hasattr(field, "get_placeholder") for field in fields) or meta.auto_field is None:
        raise CompileError(f"{meta.label} needs the ORM's own INSERT")
    returning = tuple(meta.db_returning_fields)
    quote = connection.ops.quote_name
    returning_sql, returning_params = connection.ops.return_insert_columns(returning)
    if returning_params:
        raise CompileError(f"{meta.label}: RETURNING with parameters")
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) {returning_sql}", fields, returning
