"""The back office: department staff work their queues here.

Every page starts from the one visibility gate (`Complaint.objects.visible_to`), so nothing outside a
person's reach is listed or reachable by URL. Nothing is edited in place: workflow fields are
read-only and every change is an action (single from the change page, or bulk from the list) that
calls the same service function as the API; the services and the workflow table decide what each
role may do, and each row's outcome is reported.
"""

# Each module registers its ModelAdmin with admin.site when imported.
from complaints.admin import complaints, escalation_requests, notices  # noqa: F401
