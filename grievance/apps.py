from django.apps import AppConfig


class GrievanceConfig(AppConfig):
    """The project package as an app, so it can hold project-wide commands (seed) and tasks."""

    name = "grievance"
    verbose_name = "Grievance"
