# The weekday occupancy mail (reporting/models/mail.py): contacts per municipality with their
# switch-off history, and one mailing record per municipality per day.
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_kcio_delivery"),
        ("locations", "0002_region_single_men_to_transit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MailContact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='gewijzigd op')),
                ('name', models.CharField(max_length=160, verbose_name='naam')),
                ('email', models.EmailField(max_length=254, verbose_name='e-mailadres')),
                ('function', models.CharField(blank=True, max_length=120, verbose_name='functie')),
                ('active', models.BooleanField(default=True, verbose_name='ontvangt de mail')),
                ('switched_off_at', models.DateTimeField(blank=True, null=True, verbose_name='afgemeld op')),
                ('switched_off_via', models.CharField(blank=True, choices=[('staff', 'door een gebruiker'), ('link', 'via de afmeldlink in de mail')], max_length=10, verbose_name='afgemeld via')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mail_contacts', to='locations.municipality', verbose_name='gemeente')),
                ('switched_off_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='afgemeld door')),
            ],
            options={
                'verbose_name': 'ontvanger bezettingsmail',
                'verbose_name_plural': 'ontvangers bezettingsmail',
                'ordering': ['municipality__name', 'name', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='MailContactEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('contact_ref', models.PositiveIntegerField(verbose_name='nummer ontvanger')),
                ('kind', models.CharField(choices=[('created', 'toegevoegd'), ('changed', 'gewijzigd'), ('switched_off', 'afgemeld'), ('switched_on', 'weer aangemeld'), ('deleted', 'verwijderd')], max_length=20, verbose_name='soort')),
                ('via', models.CharField(blank=True, choices=[('staff', 'door een gebruiker'), ('link', 'via de afmeldlink in de mail')], max_length=10, verbose_name='via')),
                ('at', models.DateTimeField(verbose_name='op')),
                ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='reporting.mailcontact', verbose_name='ontvanger')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='locations.municipality', verbose_name='gemeente')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='door')),
            ],
            options={
                'verbose_name': 'gebeurtenis ontvanger bezettingsmail',
                'verbose_name_plural': 'gebeurtenissen ontvangers bezettingsmail',
                'ordering': ['-at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='OccupancyMailing',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('as_of', models.DateField(verbose_name='peildatum')),
                ('municipality_cbs_code', models.CharField(max_length=6, verbose_name='CBS-code gemeente')),
                ('locations', models.PositiveIntegerField(verbose_name='locaties')),
                ('realised', models.PositiveIntegerField(verbose_name='gerealiseerd')),
                ('occupied', models.PositiveIntegerField(verbose_name='bezet')),
                ('available', models.PositiveIntegerField(verbose_name='beschikbaar')),
                ('snijverlies', models.PositiveIntegerField(verbose_name='snijverlies')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='aangemaakt op')),
                ('municipality', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='occupancy_mailings', to='locations.municipality', verbose_name='gemeente')),
                ('previous', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='reporting.occupancymailing', verbose_name='vorige mail')),
                ('snapshot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='reporting.capacitysnapshot', verbose_name='momentopname')),
            ],
            options={
                'verbose_name': 'bezettingsmail',
                'verbose_name_plural': 'bezettingsmails',
                'ordering': ['municipality__name', '-as_of'],
            },
        ),
        migrations.AddConstraint(
            model_name='mailcontact',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), models.F('municipality'), name='mailcontact_email_once_per_municipality', violation_error_message='Dit e-mailadres staat al bij deze gemeente.'),
        ),
        migrations.AddConstraint(
            model_name='mailcontact',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('active', True), ('switched_off_at__isnull', True), ('switched_off_by__isnull', True), ('switched_off_via', '')), models.Q(('active', False), ('switched_off_at__isnull', False), ('switched_off_via__in', ['staff', 'link'])), _connector='OR'), name='mailcontact_switch_off_recorded'),
        ),
        migrations.AddConstraint(
            model_name='mailcontact',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('switched_off_via', 'link'), _negated=True), ('switched_off_by__isnull', True), _connector='OR'), name='mailcontact_link_has_no_user'),
        ),
        migrations.AddConstraint(
            model_name='mailcontactevent',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['created', 'changed', 'switched_off', 'switched_on', 'deleted'])), name='mailcontactevent_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='occupancymailing',
            constraint=models.UniqueConstraint(fields=('municipality', 'as_of'), name='occupancymailing_one_per_day'),
        ),
    ]
