# The board's decision list (B/K/A items with their history) and its reports (reporting/models/board.py).

import uuid

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('locations', '0002_region_single_men_to_transit'),
        ('reporting', '0006_costs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BoardItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='gewijzigd op')),
                ('kind', models.CharField(choices=[('B', 'Besluit'), ('K', 'Knelpunt'), ('A', 'Actie')], max_length=1, verbose_name='soort')),
                ('number', models.PositiveIntegerField(verbose_name='nummer')),
                ('title', models.CharField(max_length=200, verbose_name='titel')),
                ('description', models.TextField(blank=True, verbose_name='toelichting')),
                ('owner', models.CharField(blank=True, help_text="Naam of functie in het team, bijvoorbeeld 'coördinator huisvesting'.", max_length=120, verbose_name='eigenaar')),
                ('due_date', models.DateField(blank=True, null=True, verbose_name='uiterste datum')),
                ('status', models.CharField(choices=[('open', 'Open'), ('in_progress', 'In uitvoering'), ('done', 'Afgerond'), ('lapsed', 'Vervallen')], default='open', max_length=20, verbose_name='status')),
                ('decided_on', models.DateField(blank=True, null=True, verbose_name='vastgesteld in vergadering van')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='aangemaakt door')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='board_items', to='locations.region', verbose_name='regio')),
            ],
            options={
                'verbose_name': 'besluit, knelpunt of actie',
                'verbose_name_plural': 'besluiten, knelpunten en acties',
                'ordering': ['region_id', 'kind', 'number'],
            },
        ),
        migrations.CreateModel(
            name='BoardItemEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('created', 'Aangemaakt'), ('changed', 'Gewijzigd')], max_length=20)),
                ('at', models.DateTimeField()),
                ('changes', models.JSONField(blank=True, default=dict)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='reporting.boarditem')),
            ],
            options={
                'verbose_name': 'wijziging besluitenlijst',
                'verbose_name_plural': 'wijzigingen besluitenlijst',
                'ordering': ['at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='BoardReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='gewijzigd op')),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('period', models.DateField(help_text='De eerste dag van de maand.', verbose_name='maand')),
                ('language', models.CharField(choices=[('nl', 'Nederlands'), ('en', 'English')], default='nl', max_length=2, verbose_name='taal')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='versie')),
                ('status', models.CharField(choices=[('queued', 'In de wachtrij'), ('building', 'Wordt gemaakt'), ('done', 'Klaar'), ('failed', 'Mislukt')], default='queued', max_length=20, verbose_name='status')),
                ('progress', models.PositiveSmallIntegerField(default=0, validators=[django.core.validators.MaxValueValidator(100)], verbose_name='voortgang (%)')),
                ('step', models.CharField(blank=True, max_length=120, verbose_name='stap')),
                ('error', models.CharField(blank=True, max_length=300, verbose_name='fout')),
                ('pdf', models.BinaryField(blank=True, null=True, verbose_name='PDF')),
                ('sha256', models.CharField(blank=True, max_length=64, verbose_name='sha256')),
                ('size', models.PositiveIntegerField(default=0, verbose_name='grootte (bytes)')),
                ('as_of', models.DateField(blank=True, help_text='De dag van de momentopname waarop de kerncijfers berusten.', null=True, verbose_name='peildatum')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='begonnen op')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='klaar op')),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='board_reports', to='locations.region', verbose_name='regio')),
                ('requested_by', models.ForeignKey(blank=True, help_text='Leeg: gemaakt door de maandelijkse taak.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='aangevraagd door')),
            ],
            options={
                'verbose_name': 'bestuursrapportage',
                'verbose_name_plural': 'bestuursrapportages',
                'ordering': ['region_id', '-period', 'language', '-version'],
            },
        ),
        migrations.AddConstraint(
            model_name='boarditem',
            constraint=models.UniqueConstraint(fields=('region', 'kind', 'number'), name='boarditem_number_once_per_kind'),
        ),
        migrations.AddConstraint(
            model_name='boarditem',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['B', 'K', 'A'])), name='boarditem_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='boarditem',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'in_progress', 'done', 'lapsed'])), name='boarditem_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='boarditem',
            constraint=models.CheckConstraint(condition=models.Q(('number__gte', 1)), name='boarditem_number_positive'),
        ),
        migrations.AddConstraint(
            model_name='boardreport',
            constraint=models.UniqueConstraint(fields=('region', 'period', 'language', 'version'), name='boardreport_version_once'),
        ),
        migrations.AddConstraint(
            model_name='boardreport',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['queued', 'building'])), fields=('region', 'period', 'language'), name='boardreport_one_active_build'),
        ),
        migrations.AddConstraint(
            model_name='boardreport',
            constraint=models.CheckConstraint(condition=models.Q(('period__day', 1)), name='boardreport_period_first_of_month'),
        ),
        migrations.AddConstraint(
            model_name='boardreport',
            constraint=models.CheckConstraint(condition=models.Q(('language__in', ['nl', 'en'])), name='boardreport_language_valid'),
        ),
        migrations.AddConstraint(
            model_name='boardreport',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'building', 'done', 'failed'])), name='boardreport_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='boardreport',
            constraint=models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='boardreport_progress_0_100'),
        ),
        migrations.AddConstraint(
            model_name='boardreport',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('pdf__isnull', False), ('sha256__regex', '^[0-9a-f]{64}$'), ('status', 'done')), models.Q(models.Q(('status', 'done'), _negated=True), ('pdf__isnull', True)), _connector='OR'), name='boardreport_done_has_pdf'),
        ),
    ]
