"""Django's test Client.login() authenticates without a request, which django-axes refuses (it throttles by
request). Only the test settings use this backend: the login view, with its request, is throttled as in production
(tests/test_login_throttle.py); a login() call with no request has nothing to count and is let through."""

from axes.backends import AxesStandaloneBackend


class AxesBackendForTestClient(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None  # Client.login(): no request, nothing to throttle; ModelBackend checks the password
        return super().authenticate(request, username=username, password=password, **kwargs)
