"""The reference categories survive a flush: transactional tests (and `manage.py flush`) empty
every table, and a test running after them must still find the categories of issue 7."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from casework.categories import CATEGORIES
from casework.models import CaseCategory


@pytest.mark.django_db(transaction=True)
def test_categories_exist_again_after_a_flush():
    CaseCategory.objects.filter(code="overig").update(name="Overig (eigen naam)")
    call_command("flush", interactive=False, verbosity=0)
    assert set(CaseCategory.objects.values_list("code", flat=True)) == {code for code, _n, _s in CATEGORIES}


@pytest.mark.django_db
def test_an_edited_category_is_left_as_the_beheerder_left_it():
    from casework.categories import ensure_categories

    CaseCategory.objects.filter(code="overig").update(name="Overig (eigen naam)", active=False)
    ensure_categories(CaseCategory)
    category = CaseCategory.objects.get(code="overig")
    assert (category.name, category.active) == ("Overig (eigen naam)", False)
