# Cost declarations (reporting/models/costs.py): budgets, cost entries, declaration periods and
# their documents. The operations for these models are copied from makemigrations --dry-run; the
# triggers below freeze the entries of a period that is no longer concept (also for edits and
# deletes), refuse overlapping periods of one region and changing a closed period's dates.
import uuid

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.datetime
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import reporting.models.costs

FREEZE = r"""
CREATE FUNCTION reporting_costentry_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed record;
BEGIN
    -- A user being deleted sets created_by/updated_by to NULL: that is not an edit of the cost.
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'created_by_id' - 'updated_by_id' - 'updated_at')
                          = (to_jsonb(OLD) - 'created_by_id' - 'updated_by_id' - 'updated_at') THEN
        RETURN NEW;
    END IF;
    -- Lock every period covering the old and new dates (whatever their status), so that a period
    -- being submitted right now waits for this entry's transaction, or this one sees it submitted.
    PERFORM 1 FROM reporting_declarationperiod p
      JOIN reporting_budget b ON b.region_id = p.region_id
      JOIN reporting_budgetline l ON l.budget_id = b.id
     WHERE (TG_OP <> 'INSERT' AND l.id = OLD.budget_line_id AND OLD.date BETWEEN p.start AND p."end")
        OR (TG_OP <> 'DELETE' AND l.id = NEW.budget_line_id AND NEW.date BETWEEN p.start AND p."end")
       FOR SHARE OF p;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT p.label, p.status INTO closed
          FROM reporting_declarationperiod p
          JOIN reporting_budget b ON b.region_id = p.region_id
          JOIN reporting_budgetline l ON l.budget_id = b.id
         WHERE l.id = OLD.budget_line_id AND p.status <> 'concept' AND OLD.date BETWEEN p.start AND p."end"
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'cost entry % lies in declaration period "%" which is %', OLD.id, closed.label, closed.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'costentry_period_not_closed';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT p.label, p.status INTO closed
          FROM reporting_declarationperiod p
          JOIN reporting_budget b ON b.region_id = p.region_id
          JOIN reporting_budgetline l ON l.budget_id = b.id
         WHERE l.id = NEW.budget_line_id AND p.status <> 'concept' AND NEW.date BETWEEN p.start AND p."end"
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'a cost entry dated % falls in declaration period "%" which is %', NEW.date, closed.label,
                closed.status USING ERRCODE = 'check_violation', CONSTRAINT = 'costentry_period_not_closed';
        END IF;
        -- The entry's date lies in its budget's year: a 2025 cost on a 2024 line would count twice.
        IF NOT EXISTS (SELECT 1 FROM reporting_budgetline l JOIN reporting_budget b ON b.id = l.budget_id
                        WHERE l.id = NEW.budget_line_id AND b.year = EXTRACT(YEAR FROM NEW.date)) THEN
            RAISE EXCEPTION 'a cost entry dated % is not in the year of its budget line', NEW.date
                USING ERRCODE = 'check_violation', CONSTRAINT = 'costentry_date_in_budget_year';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER reporting_costentry_period_open BEFORE INSERT OR UPDATE OR DELETE ON reporting_costentry
    FOR EACH ROW EXECUTE FUNCTION reporting_costentry_period_open();

CREATE FUNCTION reporting_declarationperiod_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'concept' THEN
            RAISE EXCEPTION 'declaration period "%" is % and cannot be deleted', OLD.label, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'declarationperiod_closed_frozen';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status <> 'concept'
       AND (NEW.start, NEW."end", NEW.region_id) IS DISTINCT FROM (OLD.start, OLD."end", OLD.region_id) THEN
        RAISE EXCEPTION 'declaration period "%" is % and its dates cannot change', OLD.label, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'declarationperiod_closed_frozen';
    END IF;
    -- No overlapping periods in one region (no btree_gist in this database for an exclusion
    -- constraint on region + range): the region's row lock serialises two concurrent inserts.
    PERFORM 1 FROM locations_region WHERE id = NEW.region_id FOR UPDATE;
    IF EXISTS (SELECT 1 FROM reporting_declarationperiod p
                WHERE p.region_id = NEW.region_id AND p.id <> NEW.id
                  AND p.start <= NEW."end" AND NEW.start <= p."end") THEN
        RAISE EXCEPTION 'declaration period "%" overlaps another period of its region', NEW.label
            USING ERRCODE = 'check_violation', CONSTRAINT = 'declarationperiod_no_overlap';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER reporting_declarationperiod_guard BEFORE INSERT OR UPDATE OR DELETE ON reporting_declarationperiod
    FOR EACH ROW EXECUTE FUNCTION reporting_declarationperiod_guard();
"""

FREEZE_REMOVE = r"""
DROP TRIGGER IF EXISTS reporting_declarationperiod_guard ON reporting_declarationperiod;
DROP FUNCTION IF EXISTS reporting_declarationperiod_guard();
DROP TRIGGER IF EXISTS reporting_costentry_period_open ON reporting_costentry;
DROP FUNCTION IF EXISTS reporting_costentry_period_open();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0005_target_split"),
        ("locations", "0002_region_single_men_to_transit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Budget',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='gewijzigd op')),
                ('year', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2022), django.core.validators.MaxValueValidator(2100)], verbose_name='jaar')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='toelichting')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='budgets', to='locations.region', verbose_name='regio')),
            ],
            options={
                'verbose_name': 'begroting',
                'verbose_name_plural': 'begrotingen',
                'ordering': ['region__name', '-year'],
            },
        ),
        migrations.CreateModel(
            name='BudgetLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='gewijzigd op')),
                ('name', models.CharField(max_length=120, verbose_name='begrotingspost')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='begroot bedrag (€)')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='volgorde')),
                ('budget', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='reporting.budget', verbose_name='begroting')),
            ],
            options={
                'verbose_name': 'begrotingspost',
                'verbose_name_plural': 'begrotingsposten',
                'ordering': ['budget_id', 'position', 'name'],
            },
        ),
        migrations.CreateModel(
            name='CostEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='gewijzigd op')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('date', models.DateField(verbose_name='datum')),
                ('category', models.CharField(choices=[('personeel', 'personeel'), ('ict', 'ICT'), ('vervoer', 'vervoer'), ('huisvesting', 'huisvesting'), ('communicatie', 'communicatie'), ('overig', 'overig')], max_length=20, verbose_name='categorie')),
                ('supplier', models.CharField(max_length=160, verbose_name='leverancier')),
                ('description', models.CharField(max_length=300, verbose_name='omschrijving')),
                ('amount_excl_vat', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='bedrag excl. btw (€)')),
                ('amount_incl_vat', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='bedrag incl. btw (€)')),
                ('invoice_reference', models.CharField(blank=True, max_length=80, verbose_name='factuurnummer')),
                ('attachment', models.FileField(blank=True, max_length=200, upload_to=reporting.models.costs.cost_attachment_path, verbose_name='bijlage')),
                ('attachment_name', models.CharField(blank=True, max_length=200, verbose_name='bestandsnaam bijlage')),
                ('declarable', models.BooleanField(default=True, verbose_name='declarabel')),
                ('non_declarable_reason', models.CharField(blank=True, max_length=300, verbose_name='reden niet declarabel')),
                ('budget_line', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='reporting.budgetline', verbose_name='begrotingspost')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='ingevoerd door')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='gewijzigd door')),
            ],
            options={
                'verbose_name': 'kostenpost',
                'verbose_name_plural': 'kostenposten',
                'ordering': ['-date', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='DeclarationPeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='gewijzigd op')),
                ('label', models.CharField(max_length=80, verbose_name='naam')),
                ('start', models.DateField(verbose_name='begin')),
                ('end', models.DateField(verbose_name='einde (tot en met)')),
                ('deadline', models.DateField(verbose_name='uiterste indiendatum')),
                ('status', models.CharField(choices=[('concept', 'concept'), ('ingediend', 'ingediend'), ('toegekend', 'toegekend'), ('afgewezen', 'afgewezen')], default='concept', max_length=20, verbose_name='status')),
                ('status_changed_at', models.DateTimeField(blank=True, null=True, verbose_name='status gewijzigd op')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='declaration_periods', to='locations.region', verbose_name='regio')),
                ('status_changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='status gewijzigd door')),
            ],
            options={
                'verbose_name': 'declaratieperiode',
                'verbose_name_plural': 'declaratieperiodes',
                'ordering': ['region__name', 'start'],
            },
        ),
        migrations.CreateModel(
            name='DeclarationDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('pdf', 'PDF'), ('xlsx', 'XLSX')], max_length=4, verbose_name='soort')),
                ('content_hash', models.CharField(max_length=64, verbose_name='hash van de cijfers')),
                ('sha256', models.CharField(max_length=64, verbose_name='sha256 van het bestand')),
                ('content', models.BinaryField(verbose_name='bestand')),
                ('size', models.PositiveIntegerField(verbose_name='grootte (bytes)')),
                ('period_status', models.CharField(choices=[('concept', 'concept'), ('ingediend', 'ingediend'), ('toegekend', 'toegekend'), ('afgewezen', 'afgewezen')], max_length=20, verbose_name='status bij het maken')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='gemaakt op')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='gemaakt door')),
                ('period', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='reporting.declarationperiod', verbose_name='declaratieperiode')),
            ],
            options={
                'verbose_name': 'declaratiedocument',
                'verbose_name_plural': 'declaratiedocumenten',
                'ordering': ['period_id', '-created_at', 'kind'],
            },
        ),
        migrations.CreateModel(
            name='DeclarationPeriodEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(blank=True, choices=[('concept', 'concept'), ('ingediend', 'ingediend'), ('toegekend', 'toegekend'), ('afgewezen', 'afgewezen')], max_length=20, verbose_name='van')),
                ('to_status', models.CharField(choices=[('concept', 'concept'), ('ingediend', 'ingediend'), ('toegekend', 'toegekend'), ('afgewezen', 'afgewezen')], max_length=20, verbose_name='naar')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='toelichting')),
                ('at', models.DateTimeField(verbose_name='op')),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='door')),
                ('period', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='reporting.declarationperiod', verbose_name='declaratieperiode')),
            ],
            options={
                'verbose_name': 'statuswijziging declaratie',
                'verbose_name_plural': 'statuswijzigingen declaratie',
                'ordering': ['period_id', 'at', 'pk'],
            },
        ),
        migrations.AddConstraint(
            model_name='budget',
            constraint=models.UniqueConstraint(fields=('region', 'year'), name='budget_one_per_region_per_year'),
        ),
        migrations.AddConstraint(
            model_name='budgetline',
            constraint=models.UniqueConstraint(fields=('budget', 'name'), name='budgetline_name_once_per_budget'),
        ),
        migrations.AddConstraint(
            model_name='budgetline',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='budgetline_amount_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='costentry',
            constraint=models.CheckConstraint(condition=models.Q(('amount_excl_vat__gte', 0)), name='costentry_excl_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='costentry',
            constraint=models.CheckConstraint(condition=models.Q(('amount_incl_vat__gte', models.F('amount_excl_vat'))), name='costentry_incl_at_least_excl'),
        ),
        migrations.AddConstraint(
            model_name='costentry',
            constraint=models.CheckConstraint(condition=models.Q(('declarable', True), ('non_declarable_reason__regex', '\\S'), _connector='OR'), name='costentry_reason_when_not_declarable'),
        ),
        migrations.AddConstraint(
            model_name='costentry',
            constraint=models.CheckConstraint(condition=models.Q(('category__in', ['personeel', 'ict', 'vervoer', 'huisvesting', 'communicatie', 'overig'])), name='costentry_category_valid'),
        ),
        migrations.AddConstraint(
            model_name='declarationperiod',
            constraint=models.CheckConstraint(condition=models.Q(('end__gte', models.F('start'))), name='declarationperiod_not_reversed'),
        ),
        migrations.AddConstraint(
            model_name='declarationperiod',
            constraint=models.CheckConstraint(condition=models.Q(('start__year', django.db.models.functions.datetime.ExtractYear('end'))), name='declarationperiod_within_one_year'),
        ),
        migrations.AddConstraint(
            model_name='declarationperiod',
            constraint=models.UniqueConstraint(fields=('region', 'label'), name='declarationperiod_label_once_per_region'),
        ),
        migrations.AddConstraint(
            model_name='declarationperiod',
            constraint=models.CheckConstraint(condition=models.Q(('label__regex', '\\S')), name='declarationperiod_label_not_blank'),
        ),
        migrations.AddConstraint(
            model_name='declarationperiod',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['concept', 'ingediend', 'toegekend', 'afgewezen'])), name='declarationperiod_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='declarationdocument',
            constraint=models.UniqueConstraint(fields=('period', 'kind', 'content_hash'), name='declarationdocument_once_per_content'),
        ),
        migrations.AddConstraint(
            model_name='declarationdocument',
            constraint=models.CheckConstraint(condition=models.Q(('sha256__regex', '^[0-9a-f]{64}$'), ('content_hash__regex', '^[0-9a-f]{64}$')), name='declarationdocument_hashes_complete'),
        ),
        migrations.CreateModel(
            name='HistoricalCostEntry',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('uuid', models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                ('date', models.DateField(verbose_name='datum')),
                ('category', models.CharField(choices=[('personeel', 'personeel'), ('ict', 'ICT'), ('vervoer', 'vervoer'), ('huisvesting', 'huisvesting'), ('communicatie', 'communicatie'), ('overig', 'overig')], max_length=20, verbose_name='categorie')),
                ('supplier', models.CharField(max_length=160, verbose_name='leverancier')),
                ('description', models.CharField(max_length=300, verbose_name='omschrijving')),
                ('amount_excl_vat', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='bedrag excl. btw (€)')),
                ('amount_incl_vat', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='bedrag incl. btw (€)')),
                ('invoice_reference', models.CharField(blank=True, max_length=80, verbose_name='factuurnummer')),
                ('attachment', models.TextField(blank=True, max_length=200, verbose_name='bijlage')),
                ('attachment_name', models.CharField(blank=True, max_length=200, verbose_name='bestandsnaam bijlage')),
                ('declarable', models.BooleanField(default=True, verbose_name='declarabel')),
                ('non_declarable_reason', models.CharField(blank=True, max_length=300, verbose_name='reden niet declarabel')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('budget_line', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='reporting.budgetline', verbose_name='begrotingspost')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='ingevoerd door')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('updated_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='gewijzigd door')),
            ],
            options={
                'verbose_name': 'historical kostenpost',
                'verbose_name_plural': 'historical kostenposten',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalBudgetLine',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('name', models.CharField(max_length=120, verbose_name='begrotingspost')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='begroot bedrag (€)')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='volgorde')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('budget', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='reporting.budget', verbose_name='begroting')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical begrotingspost',
                'verbose_name_plural': 'historical begrotingsposten',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunSQL(FREEZE, FREEZE_REMOVE),
    ]
