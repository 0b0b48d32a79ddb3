from django.apps import AppConfig


class DepartmentsConfig(AppConfig):
    name = "departments"
    verbose_name = "Departments"

    def ready(self) -> None:
        from departments import signals

        signals.connect()
