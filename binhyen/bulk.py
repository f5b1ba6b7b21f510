"""Inserting thousands of new rows at once: COPY on PostgreSQL, bulk_create elsewhere.

bulk_create sends each batch as one INSERT whose values travel as arrays (UNNEST): psycopg
escapes every value into an array literal, which for 10,000 rows with JSON (audit entries) takes
longer than the insert itself. COPY streams the same values row by row. Each value is prepared
exactly as bulk_create prepares it (Field.pre_save, then Field.get_db_prep_save), so both paths
store the same rows; only the transport differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

BATCH_SIZE: Final = 1000  # rows per statement where bulk_create is used


def bulk_insert(objs: Sequence[models.Model], *, batch_size: int = BATCH_SIZE) -> None:
    """Insert `objs` (new instances of one model, without primary keys) and set their primary
    keys, as bulk_create does. No signals are sent and save() is not called, as with bulk_create."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]  # once: django.db.connection is a proxy
    if not copy_supported(connection):
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    _draw_primary_keys(connection, model, objs)
    fields = model._meta.concrete_fields
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        # psycopg's errors as Django's (IntegrityError...), as for a query through Django
        connection.wrap_database_errors,
        # the psycopg cursor under Django's wrapper: Django has no COPY of its own
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    for obj in objs:
        obj._state.adding = False  # documented: as after a save or bulk_create
        obj._state.db = connection.alias


def copy_supported(connection: BaseDatabaseWrapper) -> bool:
    """Whether `connection` takes COPY (PostgreSQL); the tests turn it off to compare."""
    return connection.vendor == "postgresql"


def _draw_primary_keys(
    connection: BaseDatabaseWrapper, model: type[models.Model], objs: Sequence[models.Model]
) -> None:
    """Give each instance an id from the table's sequence, in order, as an INSERT would."""
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(objs)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    for obj, new_id in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, new_id)
