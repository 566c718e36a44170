"""The login throttle (django-axes, settings LOGIN_* and AXES_*): a user name and a client address locked out apart.

Axes counts the failures of each lockout parameter (the user name; the address) and compares the larger count
with one limit. An office behind one NAT address needs a higher limit for the address than for a user, so the
handler below reports the user's count, or the user limit itself once the address has reached its own limit.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone


class UserAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        by_user, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)  # AXES_LOCKOUT_PARAMETERS' order
        )
        if by_address >= settings.LOGIN_IP_FAILURE_LIMIT:
            return max(by_user, settings.LOGIN_FAILURE_LIMIT)
        return by_user

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a good login (AXES_RESET_ON_SUCCESS): forget that user's failures from that address only. Axes would
        delete every failure matching either parameter, the address's failures against other names too: anyone with
        an account of their own could then guess other people's passwords forever, logging in between guesses."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


def client_ip(request) -> str | None:
    """REMOTE_ADDR; behind PROXY_COUNT reverse proxies, the address the outermost one received the request from
    (each proxy appends the address it saw to X-Forwarded-For, so what the client wrote there is ignored)."""
    if settings.PROXY_COUNT:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= settings.PROXY_COUNT:
            return forwarded[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """The login page again, status 429, saying until when: every failure while locked moves that time on."""
    until = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    context = {"locked_until": until, "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES}
    return render(request, "registration/login.html", context, status=429)
