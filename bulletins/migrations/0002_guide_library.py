from django.db import migrations


def seed(apps, schema_editor):
    from bulletins.guide_texts import seed_guides

    seed_guides(apps.get_model("bulletins", "Guide"))


class Migration(migrations.Migration):
    dependencies = [("bulletins", "0001_bulletins_postings_reminders")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
