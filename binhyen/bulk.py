"""Inserting thousands of new rows at once: COPY on PostgreSQL, bulk_create elsewhere.

bulk_create sends each batch as one INSERT whose values travel as arrays (UNNEST): psycopg
escapes every value into an array literal, which for 10,000 rows with JSON (audit entries) takes
longer than the insert itself. COPY streams the same values row by row. Each value is prepared
exactly as bulk_create prepares it (Field.pre_save, then Field.get_db_prep_save), so both paths
store the same rows; only the transport differs.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any, Final

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
    prepare = [_preparer(f, connection) for f in fields]
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
            copy.write_row([prep(obj) for prep in prepare])
    for obj in objs:
        obj._state.adding = False  # documented: as after a save or bulk_create
        obj._state.db = connection.alias


# Fields whose value, of the type given, pre_save and PostgreSQL's get_db_prep_save return as
# it is (None too; auto_now dates excepted): these classes only, as a subclass may prepare its
# values otherwise.
_PLAIN: Final[dict[type[models.Field], type]] = {
    models.CharField: str,
    models.TextField: str,
    models.DateField: datetime.date,
    **dict.fromkeys(
        (
            models.AutoField,
            models.BigAutoField,
            models.SmallAutoField,
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
        ),
        int,
    ),
}


def _preparer(field: models.Field, connection: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """How bulk_create prepares `field`'s value of an instance: Field.pre_save, then
    Field.get_db_prep_save; those two calls, for 10,000 rows of 15 fields, took twice as long
    as the COPY itself, so a value that they would return unchanged (_PLAIN) is taken as it is.
    groups/tests/test_import_bulk.py compares both ways."""
    target = field.target_field if field.many_to_one else field  # a foreign key stores its id
    plain_type = _PLAIN.get(type(target))
    if field.many_to_one and type(field) is not models.ForeignKey:
        plain_type = None
    if (
        plain_type is None
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    ):
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    attname = field.attname

    def prepare(obj: Any) -> Any:
        value = getattr(obj, attname)
        if value is None or type(value) is plain_type:
            return value
        return field.get_db_prep_save(field.pre_save(obj, True), connection)

    return prepare


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
