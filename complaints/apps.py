from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = "Complaints"

    def ready(self):
        from complaints.notifications import register_kinds

        register_kinds()  # the notification kinds complaints send, with their templates
