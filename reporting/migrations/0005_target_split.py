# Placeholder in the reporting chain (0003 delivery, 0004 mail, 0005 target split, 0006 costs,
# 0007 board); its operations are written by the capability that owns it.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reporting", "0004_occupancy_mail")]

    operations = []
