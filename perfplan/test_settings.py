"""Test settings: the same settings, with fast password hashing and in-memory email."""

from perfplan.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Client.login() has no request for django-axes to count (tests/login_backend.py); the login view is throttled.
AUTHENTICATION_BACKENDS = ["tests.login_backend.AxesBackendForTestClient", "django.contrib.auth.backends.ModelBackend"]
