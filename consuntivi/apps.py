from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate

from consuntivi.data_version import drop_before_migrate, reinstall_after_migrate  # no models: safe at app loading


class ConsuntiviConfig(AppConfig):
    """Rounds of data entry, the values the units record, their review, history and evidence."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "consuntivi"
    verbose_name = "Consuntivi"

    def ready(self) -> None:
        # Once per migrate (sent with this app as sender): the plans' data-token triggers out of the way of the
        # migrations, then back with every token changed.
        pre_migrate.connect(drop_before_migrate, sender=self, dispatch_uid="consuntivi.data_version.drop")
        post_migrate.connect(reinstall_after_migrate, sender=self, dispatch_uid="consuntivi.data_version.install")
