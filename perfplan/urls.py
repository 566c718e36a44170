from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from plans import views as plan_views

admin.site.site_header = "perfplan – amministrazione"
admin.site.site_title = "perfplan"

urlpatterns = [
    path("", plan_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("piani/", include("plans.urls")),
    path("punteggi/", include("indicators.score_urls")),
    path("consuntivi/", include("indicators.urls")),
    path("relazioni/", include("reports.urls")),
    path("storico/", include("perfplan.audit_views")),
    path("admin/", admin.site.urls),
]
