"""The case categories of issue 7, as reference data that must always exist.

Health-related ones are special-category data (AVG art. 9): entries in such a case default to
special. A beheerder can rename, add or deactivate categories later; this only adds missing ones.
"""

from __future__ import annotations

from typing import Any

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


def ensure_categories(model: Any) -> None:
    """Create the categories that are missing, leaving edited ones as the beheerder left them."""
    for position, (code, name, special) in enumerate(CATEGORIES, 1):
        model.objects.get_or_create(code=code, defaults={"name": name, "special_category": special,
                                                         "position": position * 10})


def ensure_categories_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate: after every migrate, and after a flush (a database emptied by the tests'
    transactional cases or by `manage.py flush`), the reference categories exist again."""
    from django.apps import apps as global_apps

    apps = kwargs.get("apps") or global_apps  # flush sends no `apps`: the models as they are now
    try:
        model = apps.get_model("casework", "CaseCategory")
    except LookupError:  # migrating backwards past the model
        return
    ensure_categories(model)
