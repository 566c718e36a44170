"""System checks of perfplan's own settings, shown by `manage.py check --deploy`."""

from django.conf import settings
from django.core import checks
from django.core.checks import Tags, register


@register(Tags.security, deploy=True)
def check_plain_http(app_configs, **kwargs):
    """PERFPLAN_HTTPS=false is allowed (an intranet without certificates) but never silent."""
    if settings.PERFPLAN_HTTPS:
        return []
    return [
        checks.Warning(
            "PERFPLAN_HTTPS=false: perfplan is served over plain HTTP, without secure cookies, HSTS or redirect to "
            "HTTPS; passwords and session cookies cross the network in clear.",
            hint="Only on a trusted intranet. Put perfplan behind HTTPS and remove PERFPLAN_HTTPS (README, "
            "«Produzione: lista di controllo»).",
            id="perfplan.W001",
        )
    ]
