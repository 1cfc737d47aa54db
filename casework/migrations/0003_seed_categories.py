"""The categories of issue 7. Health-related ones are special-category (AVG art. 9): entries in
such a case default to special. A beheerder can add more or deactivate these later. The list lives
in casework/categories.py, which a post_migrate handler also applies after every migrate and flush."""

from django.db import migrations

from casework.categories import CATEGORIES, ensure_categories


def seed(apps, schema_editor):
    ensure_categories(apps.get_model("casework", "CaseCategory"))


def unseed(apps, schema_editor):
    CaseCategory = apps.get_model("casework", "CaseCategory")
    CaseCategory.objects.filter(code__in=[c for c, _n, _s in CATEGORIES], cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_caseaccess_append_only")]

    operations = [migrations.RunPython(seed, unseed)]
