from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished


class PerfplanConfig(AppConfig):
    name = "perfplan"
    verbose_name = "perfplan"

    def ready(self) -> None:
        from perfplan import checks  # noqa: F401 - registers the system checks
        from perfplan.request_log import forget_request_id
        from perfplan.sessions import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="perfplan.sessions.stamp_login")
        request_finished.connect(forget_request_id, dispatch_uid="perfplan.request_log.forget_request_id")
