from django.db import migrations, models


def mark_past_events_notified(apps, schema_editor) -> None:
    """Events from before filers were told of replies are not news any more: the scan must not
    send a week of old replies on the day this is deployed."""
    ReportEvent = apps.get_model("reports", "ReportEvent")
    ReportEvent.objects.update(notified_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_open_reports_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportevent",
            name="notified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(mark_past_events_notified, migrations.RunPython.noop),
    ]
