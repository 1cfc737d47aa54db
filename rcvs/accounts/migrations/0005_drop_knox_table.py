from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_api_token_always_expires'),
    ]

    operations = [
        # knox's own token table, made by its migrations before they were switched off
        # (MIGRATION_MODULES): unused, its model is swapped out for accounts.ApiToken.
        migrations.RunSQL(
            "DROP TABLE IF EXISTS knox_authtoken CASCADE; DELETE FROM django_migrations WHERE app = 'knox';",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
