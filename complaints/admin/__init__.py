"""The back office: department staff work their queues here.

Every page starts from the one visibility gate (`Complaint.objects.visible_to`), so nothing outside a
person's reach is listed or reachable by URL. Nothing is edited in place: workflow fields are
read-only and every change is an action (single from the change page, or bulk from the list) that
calls the same service function as the API; the services and the workflow table decide what each
role may do, and each row's outcome is reported.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

# Each module registers its ModelAdmin with admin.site when imported.
from complaints.admin import complaints, escalation_requests, notices  # noqa: F401

# The back office carries the product's name, not Django's.
admin.site.site_header = _("Grievance back office")
admin.site.site_title = _("Grievance")
admin.site.index_title = _("Your work today")
