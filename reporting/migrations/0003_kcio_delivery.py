# KCIO delivery (reporting/delivery.py): one row per send of a day's snapshot, tied to its outbox
# message. Written by hand from `makemigrations --dry-run` (one slot per capability).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("reporting", "0002_money_and_targets"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="KcioDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveSmallIntegerField(
                    default=1, help_text="1 is de eerste verzending, 2 en verder zijn herhalingen.",
                    verbose_name="volgnummer")),
                ("reason", models.CharField(choices=[("scheduled", "dagelijkse taak"), ("export_now", "nu exporteren"),
                                                     ("resend", "opnieuw versturen")], max_length=20,
                                            verbose_name="aanleiding")),
                ("method", models.CharField(choices=[("https", "HTTPS"), ("mail", "e-mail")], max_length=10,
                                            verbose_name="methode")),
                ("file_format", models.CharField(max_length=10, verbose_name="bestandsformaat")),
                ("hxl", models.BooleanField(default=False, verbose_name="HXL-rij")),
                ("destination", models.CharField(blank=True, max_length=300, verbose_name="bestemming")),
                ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="afgeleverd op")),
                ("response_status", models.PositiveSmallIntegerField(blank=True, null=True,
                                                                     verbose_name="HTTP-status van de ontvanger")),
                ("response_note", models.CharField(blank=True, max_length=500,
                                                   verbose_name="antwoord van de ontvanger")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="aangemaakt op")),
                ("outbox_message", models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                        to="outbox.outboxmessage", verbose_name="uitgaand bericht")),
                ("requested_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                   related_name="+", to=settings.AUTH_USER_MODEL,
                                                   verbose_name="aangevraagd door")),
                ("snapshot", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="deliveries",
                                               to="reporting.capacitysnapshot", verbose_name="momentopname")),
            ],
            options={
                "verbose_name": "KCIO-levering",
                "verbose_name_plural": "KCIO-leveringen",
                "ordering": ["snapshot__region__name", "-snapshot__as_of", "-sequence"],
                "constraints": [
                    models.UniqueConstraint(fields=("snapshot", "sequence"), name="kciodelivery_sequence_once"),
                    models.CheckConstraint(condition=models.Q(("sequence__gte", 1)),
                                           name="kciodelivery_sequence_positive"),
                    models.CheckConstraint(condition=models.Q(("method__in", ["https", "mail"])),
                                           name="kciodelivery_method_valid"),
                    models.CheckConstraint(condition=models.Q(("file_format__in", ["csv", "json", "xlsx"])),
                                           name="kciodelivery_format_valid"),
                    models.CheckConstraint(condition=models.Q(("reason__in", ["scheduled", "export_now", "resend"])),
                                           name="kciodelivery_reason_valid"),
                    models.CheckConstraint(
                        condition=models.Q(models.Q(("reason__in", ["scheduled", "export_now"]), ("sequence", 1)),
                                           models.Q(("reason", "resend"), ("sequence__gt", 1)), _connector="OR"),
                        name="kciodelivery_reason_fits_sequence"),
                ],
            },
        ),
    ]
