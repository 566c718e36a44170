from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_role_groups(sender, using="default", **kwargs) -> None:
    """The role groups are data (plans migration 0002); a `flush` — every browser or concurrency test ends with
    one — deletes them, and every later page would answer 403. Recreate them after each migrate or flush."""
    from django.contrib.auth.models import Group

    from perfplan.roles import Role

    for name in Role.ALL:
        Group.objects.using(using).get_or_create(name=name)


def ensure_builtin_catalogue(sender, using="default", **kwargs) -> None:
    """The DFP common indicators of the catalogue are data too (indicators migration 0006): put back after a flush."""
    from indicators.catalogue import builtin_catalogue_load

    builtin_catalogue_load()  # idempotent: update_or_create by code


class PlansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "plans"
    verbose_name = "Piani e organizzazione"

    def ready(self) -> None:
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="plans.ensure_role_groups")
        post_migrate.connect(ensure_builtin_catalogue, sender=self, dispatch_uid="plans.ensure_builtin_catalogue")
