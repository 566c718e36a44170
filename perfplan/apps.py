from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished
from django_tasks_db.apps import TasksAppConfig as TasksDatabaseConfig


class PerfplanConfig(AppConfig):
    name = "perfplan"
    verbose_name = "perfplan"

    def ready(self) -> None:
        from perfplan import checks  # noqa: F401 - registers the system checks
        from perfplan.request_log import forget_request_id
        from perfplan.sessions import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="perfplan.sessions.stamp_login")
        request_finished.connect(forget_request_id, dispatch_uid="perfplan.request_log.forget_request_id")


# Two packages' admin sections under Italian names (their models' and fields' names: locale/it).
class AxesItalianConfig(AxesConfig):
    verbose_name = "Blocco degli accessi"


class TasksDatabaseItalianConfig(TasksDatabaseConfig):
    verbose_name = "Coda dei lavori in background"
