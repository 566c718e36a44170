"""perfplan's URLs plus one public view that fails, for the 500 page test (tests/test_error_pages.py)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from perfplan.urls import urlpatterns as perfplan_urlpatterns


@login_not_required
def boom(request):
    raise RuntimeError("errore di prova")


urlpatterns = [path("prova-errore/", boom), *perfplan_urlpatterns]
