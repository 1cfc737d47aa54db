# The edited split of a region's target (reporting/models/targets.py). Operations copied from
# `makemigrations reporting --dry-run` for the targets models only, plus the database guard.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The parts of an edited split add up to the region target it was made against, and each part is
# a municipality of the split's region: checked by the database at commit (deferred, so a service
# may write the header and its parts in any order inside one transaction), whoever writes them.
GUARD = """
CREATE FUNCTION reporting_targetsplit_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    the_split bigint;
    expected integer;
    split_region bigint;
    total bigint;
    foreign_parts integer;
BEGIN
    IF TG_TABLE_NAME = 'reporting_targetsplitpart' THEN
        IF TG_OP = 'DELETE' THEN the_split := OLD.split_id; ELSE the_split := NEW.split_id; END IF;
    ELSE
        IF TG_OP = 'DELETE' THEN RETURN NULL; END IF;
        the_split := NEW.id;
    END IF;
    SELECT s.region_places, s.region_id INTO expected, split_region
      FROM reporting_targetsplit s WHERE s.id = the_split;
    IF NOT FOUND THEN
        RETURN NULL;  -- the split itself was deleted (its parts with it)
    END IF;
    SELECT COALESCE(SUM(p.places), 0), COUNT(*) FILTER (WHERE m.region_id <> split_region)
      INTO total, foreign_parts
      FROM reporting_targetsplitpart p JOIN locations_municipality m ON m.id = p.municipality_id
     WHERE p.split_id = the_split;
    IF foreign_parts > 0 THEN
        RAISE EXCEPTION 'target split %: a part belongs to a municipality of another region', the_split
              USING ERRCODE = 'check_violation', CONSTRAINT = 'targetsplit_parts_in_region';
    END IF;
    IF total <> expected THEN
        RAISE EXCEPTION 'target split %: parts add up to %, not %', the_split, total, expected
              USING ERRCODE = 'check_violation', CONSTRAINT = 'targetsplit_parts_sum';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER reporting_targetsplitpart_sum
    AFTER INSERT OR UPDATE OR DELETE ON reporting_targetsplitpart
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reporting_targetsplit_check();
CREATE CONSTRAINT TRIGGER reporting_targetsplit_sum
    AFTER INSERT OR UPDATE ON reporting_targetsplit
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reporting_targetsplit_check();
"""

GUARD_REMOVE = """
DROP TRIGGER IF EXISTS reporting_targetsplit_sum ON reporting_targetsplit;
DROP TRIGGER IF EXISTS reporting_targetsplitpart_sum ON reporting_targetsplitpart;
DROP FUNCTION IF EXISTS reporting_targetsplit_check();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0004_occupancy_mail"),
        ("locations", "0002_region_single_men_to_transit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TargetSplit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='gewijzigd op')),
                ('year', models.PositiveSmallIntegerField(verbose_name='jaar')),
                ('region_places', models.PositiveIntegerField(help_text='De taakstelling van de regio waartegen deze verdeling is gemaakt.', verbose_name='taakstelling regio')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='target_splits', to='locations.region', verbose_name='regio')),
                ('set_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='aangepast door')),
            ],
            options={
                'verbose_name': 'aangepaste verdeling taakstelling',
                'verbose_name_plural': 'aangepaste verdelingen taakstelling',
                'ordering': ['region__name', '-year'],
            },
        ),
        migrations.CreateModel(
            name='TargetSplitEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='jaar')),
                ('action', models.CharField(choices=[('set', 'aangepast'), ('reset', 'terug naar de standaardverdeling')], max_length=10, verbose_name='actie')),
                ('region_places', models.PositiveIntegerField(verbose_name='taakstelling regio')),
                ('parts', models.JSONField(blank=True, default=dict, help_text='Plaatsen per CBS-code; leeg bij terug naar de standaardverdeling.', verbose_name='verdeling')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='op')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='locations.region', verbose_name='regio')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='door')),
            ],
            options={
                'verbose_name': 'wijziging verdeling taakstelling',
                'verbose_name_plural': 'wijzigingen verdeling taakstelling',
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='TargetSplitPart',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('places', models.PositiveIntegerField(verbose_name='plaatsen')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='locations.municipality', verbose_name='gemeente')),
                ('split', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='parts', to='reporting.targetsplit', verbose_name='verdeling')),
            ],
            options={
                'verbose_name': 'deel van de verdeling',
                'verbose_name_plural': 'delen van de verdeling',
                'ordering': ['split_id', 'municipality__cbs_code'],
            },
        ),
        migrations.AddConstraint(
            model_name='targetsplit',
            constraint=models.UniqueConstraint(fields=('region', 'year'), name='targetsplit_one_per_region_year'),
        ),
        migrations.AddConstraint(
            model_name='targetsplit',
            constraint=models.CheckConstraint(condition=models.Q(('year__gte', 2022), ('year__lte', 2100)), name='targetsplit_year_range'),
        ),
        migrations.AddConstraint(
            model_name='targetsplitpart',
            constraint=models.UniqueConstraint(fields=('split', 'municipality'), name='targetsplitpart_once_per_municipality'),
        ),
        migrations.RunSQL(GUARD, GUARD_REMOVE),
    ]
