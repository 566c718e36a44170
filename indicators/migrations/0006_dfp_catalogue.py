"""The built-in catalogue: the DFP common indicators (indicators.catalogue), there after `migrate` for `make run`."""

from django.db import migrations

from indicators.catalogue import builtin_catalogue_load


def load(apps, schema_editor):
    builtin_catalogue_load(apps.get_model("indicators", "CatalogueIndicator"))


class Migration(migrations.Migration):
    dependencies = [("indicators", "0005_catalogue")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
