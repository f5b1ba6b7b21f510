"""Create the role groups with their stable names. Their permissions are set after every
`migrate` from accounts.roles.ROLE_PERMISSIONS (see AccountsConfig.ready)."""

from django.db import migrations

ROLE_NAMES = ["commune_police", "area_officer", "hamlet_head", "party_office", "commune_leader"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
