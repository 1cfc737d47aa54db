from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_api_tokens'),
    ]

    operations = [
        # A key without an expiry would live for ever; there should be none, and none may come.
        migrations.RunSQL("DELETE FROM accounts_apitoken WHERE expiry IS NULL", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='apitoken',
            name='expiry',
            field=models.DateTimeField(verbose_name='verloopt'),
        ),
    ]
