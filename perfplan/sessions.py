"""Session limits for a public office: 30 minutes of inactivity, 8 hours from the login (settings SESSION_*).

The login stamps the session with two times (epoch seconds): when the user logged in and when they were last
seen. The middleware logs out a session past either limit and sends the user to the login page with a message;
otherwise it refreshes «last seen», at most once every SEEN_RESOLUTION seconds, so that most requests do not write
the session.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse

LOGIN_AT = "perfplan_login_at"
SEEN_AT = "perfplan_seen_at"
SEEN_RESOLUTION = 60  # seconds: the idle limit is exact to the minute

IDLE_MESSAGE = "La sessione è scaduta dopo {minutes} minuti di inattività: accedi di nuovo."
ABSOLUTE_MESSAGE = "La sessione è scaduta dopo {hours} ore dall'accesso: accedi di nuovo."


def stamp_login(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver (perfplan/apps.py): the clock of both limits starts at the login."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now


def session_expiry(session, *, now: int) -> str | None:
    """The Italian reason why the session is over, or None while it is valid."""
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if login_at is not None and now - login_at >= settings.SESSION_ABSOLUTE_TIMEOUT:
        return ABSOLUTE_MESSAGE.format(hours=settings.SESSION_ABSOLUTE_TIMEOUT // 3600)
    if seen_at is not None and now - seen_at >= settings.SESSION_IDLE_TIMEOUT:
        return IDLE_MESSAGE.format(minutes=settings.SESSION_IDLE_TIMEOUT // 60)
    return None


class SessionTimeoutMiddleware:
    """Before LoginRequiredMiddleware: an expired session is logged out here, and that middleware then sends the
    now anonymous user of a protected page to the login (the login and logout views themselves just go on)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        now = int(time.time())
        reason = session_expiry(request.session, now=now)
        if reason:
            logout(request)
            messages.warning(request, reason)
            if request.headers.get("HX-Request") and getattr(view_func, "login_required", True):
                # htmx would swap the login page into a table cell: have it load the login page instead
                return HttpResponse(status=204, headers={"HX-Redirect": redirect_to_login(request.get_full_path()).url})
            return None
        session = request.session
        if session.get(LOGIN_AT) is None:  # a session opened before these limits existed
            session[LOGIN_AT] = now
        if now - session.get(SEEN_AT, 0) >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return None
