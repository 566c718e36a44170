"""Every model is in the Django admin, and its list, search and filters open for the Amministratore."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

DOMAIN_APPS = {"plans", "indicators", "reports"}


def test_every_domain_model_is_registered():
    from django.apps import apps

    # Historical models are read in each object's history view and on /storico/, not as admin lists of their own.
    models = {
        m for m in apps.get_models() if m._meta.app_label in DOMAIN_APPS and not m.__name__.startswith("Historical")
    }
    assert models - set(admin.site._registry) == set()


def test_every_changelist_opens_with_a_search(client, small_plan):
    user = get_user_model().objects.create_superuser("radice", password="una-password-di-prova")
    client.force_login(user)
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in DOMAIN_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        params = {"q": "1"} if model_admin.search_fields else {}
        assert client.get(url, params).status_code == 200, url


def test_the_admin_refuses_users_who_are_not_staff(client, planner):
    client.force_login(planner)
    response = client.get(reverse("admin:plans_plan_changelist"))
    assert response.status_code == 302 and "login" in response.url
