"""Test settings: the same settings, with fast password hashing and in-memory email."""

from perfplan.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files straight from static/ as in development: no collectstatic before the tests, and no scan of STATIC_ROOT
# by every test client (tests/test_serving.py collects them and sets the production values back).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Client.login() has no request for django-axes to count (tests/login_backend.py); the login view is throttled.
AUTHENTICATION_BACKENDS = ["tests.login_backend.AxesBackendForTestClient", "perfplan.backends.ProfileModelBackend"]
# Jobs run inside the request that enqueues them (Django's immediate backend): a test sees the finished job. The tests
# of the queue itself (tests/jobs/) switch to the database backend and run the real worker once.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
