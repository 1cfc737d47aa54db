"""The categories of issue 7. Health-related ones are special-category (AVG art. 9): entries in
such a case default to special. A beheerder can add more or deactivate these later."""

from django.db import migrations

CATEGORIES = [
    # code, name, special_category
    ("schoolverzuim", "Schoolverzuim", False),
    ("geweldsincident", "Geweldsincident", False),
    ("lichamelijke_beperking", "Lichamelijke beperking", True),
    ("psychisch_trauma", "Psychisch / trauma", True),
    ("middelengebruik", "Middelengebruik", True),
    ("overlast", "Overlast", False),
    ("zorg", "Zorg", True),
    ("overig", "Overig", False),
]


def seed(apps, schema_editor):
    CaseCategory = apps.get_model("casework", "CaseCategory")
    for position, (code, name, special) in enumerate(CATEGORIES, 1):
        CaseCategory.objects.update_or_create(
            code=code, defaults={"name": name, "special_category": special, "position": position * 10})


def unseed(apps, schema_editor):
    CaseCategory = apps.get_model("casework", "CaseCategory")
    CaseCategory.objects.filter(code__in=[c for c, _n, _s in CATEGORIES], cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_caseaccess_append_only")]

    operations = [migrations.RunPython(seed, unseed)]
