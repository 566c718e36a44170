from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, register_converter, reverse_lazy

from perfplan.converters import IdConverter
from perfplan.health import health
from perfplan.permissions import Action, can, permission_required
from plans import views as plan_views

# `<id:…>` in every URL of the apps: an id or a year a database integer can hold, else 404 (perfplan/converters.py).
register_converter(IdConverter, "id")

admin.site.site_header = "perfplan – amministrazione"
admin.site.site_title = "perfplan"


def _admin_allowed(request) -> bool:
    """The admin is one action of the permissions table (ADMIN_SITE), on top of Django's staff flag."""
    user = request.user
    return user.is_active and user.is_staff and can(user, Action.ADMIN_SITE)


admin.site.has_permission = _admin_allowed


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico by themselves (downloads and PDFs have no <link rel="icon">): the SVG icon."""
    return redirect(static("favicon.svg"), permanent=True)


# Every view needs a login (django.contrib.auth's LoginRequiredMiddleware) and an action of the permissions table
# (perfplan.permissions.permission_required); only the views below are public. tests/test_permissions.py checks both.
urlpatterns = [
    path("", plan_views.home, name="home"),
    path("accounts/login/", login_not_required(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", login_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "accounts/password/",
        permission_required(Action.PASSWORD_CHANGE)(
            auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done"))
        ),
        name="password_change",
    ),
    path(
        "accounts/password/cambiata/",
        permission_required(Action.PASSWORD_CHANGE)(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path("favicon.ico", favicon, name="favicon"),
    path("salute/", health, name="health"),  # monitors: 200 or 503 with JSON (perfplan/health.py)
    path("piani/", include("plans.urls")),
    path("punteggi/", include("consuntivi.score_urls")),
    path("consuntivi/", include("consuntivi.urls")),
    path("relazioni/", include("reports.urls")),
    path("storico/", include("perfplan.audit_views")),
    path("lavori/", include("jobs.urls")),
    path("admin/", admin.site.urls),
]
