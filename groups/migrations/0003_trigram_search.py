"""Index-backed search on PostgreSQL: trigram GIN indexes on the normalised name and the phone,
so that `contains` (LIKE '%…%') searches over a million members use an index. SQLite gives the
same answers from the same columns, without these indexes."""

from django.db import migrations

INDEXES = [
    ("member_name_key_trgm", "groups_member", "name_key"),
    ("member_phone_trgm", "groups_member", "phone"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("groups", "0002_register")]

    operations = [migrations.RunPython(create, drop)]
