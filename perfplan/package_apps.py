"""Two packages' admin sections under Italian names (their models' and fields' names: locale/it). Not in
perfplan/apps.py: a module with several AppConfig classes gives none of them as perfplan's own."""

from axes.apps import AppConfig as AxesConfig
from django_tasks_db.apps import TasksAppConfig as TasksDatabaseConfig


class AxesItalianConfig(AxesConfig):
    verbose_name = "Blocco degli accessi"


class TasksDatabaseItalianConfig(TasksDatabaseConfig):
    verbose_name = "Coda dei lavori in background"
