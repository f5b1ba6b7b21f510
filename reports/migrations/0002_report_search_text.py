"""The triage queue's search: a normalised copy of code, title and description (search_key), with
a trigram GIN index on PostgreSQL so that LIKE '%…%' over 200,000 reports uses an index. SQLite
gives the same answers from the same column, without the index."""

from django.db import migrations, models

from groups.normalize import search_key


def fill(apps, schema_editor):
    IncidentReport = apps.get_model("reports", "IncidentReport")
    batch = []
    for report in IncidentReport.objects.only("code", "title", "description").iterator():
        report.search_text = search_key(f"{report.code} {report.title} {report.description}")
        batch.append(report)
        if len(batch) >= 1000:
            IncidentReport.objects.bulk_update(batch, ["search_text"])
            batch = []
    IncidentReport.objects.bulk_update(batch, ["search_text"])


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS report_search_trgm ON reports_incidentreport "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS report_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="incidentreport",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
