"""Create the `reviewer` group: staff in it may moderate submissions, nothing else."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "reviewer"
# (app_label, codename): view/change submissions and results, and the review permission.
# No delete and no auth.* permission: reviewers cannot manage users or groups.
PERMISSIONS = [
    ("upscaler", "view_submission"),
    ("upscaler", "change_submission"),
    ("upscaler", "review_submission"),
    ("upscaler", "view_result"),
    ("upscaler", "change_result"),
]


def create_reviewer_group(apps, schema_editor):
    # Permissions are normally created by post_migrate, after every migration has run;
    # make sure they exist now (in this database) so that the group can reference them.
    upscaler_config = apps.get_app_config("upscaler")
    upscaler_config.models_module = True
    create_permissions(upscaler_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    upscaler_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    group, _ = Group.objects.using(db).get_or_create(name=GROUP_NAME)
    permissions = [
        Permission.objects.using(db).get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]
    group.permissions.set(permissions)


def delete_reviewer_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("upscaler", "0002_submission_review"),
    ]

    operations = [migrations.RunPython(create_reviewer_group, delete_reviewer_group)]
