from django.apps import AppConfig


class ConsuntiviConfig(AppConfig):
    """Rounds of data entry, the values the units record, their review, history and evidence."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "consuntivi"
    verbose_name = "Consuntivi"
