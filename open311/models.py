"""What Open311 needs beyond a complaint: the token a client may look a request up by, and the
fingerprint that makes a retried POST return the first request instead of filing a second one."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ServiceRequestToken(models.Model):
    """One Open311 POST that filed a complaint.

    `token` is handed to the client with the new request and resolves to it at `tokens/{token}`.
    `fingerprint` is a hash of the service account and every posted field but `api_key`: the same
    client posting the same fields again (a retry) gets this request back, not a new one.
    """

    token = models.CharField(max_length=64, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64, editable=False)
    # Null only between claiming the fingerprint and filing, inside one transaction.
    complaint = models.OneToOneField("complaints.Complaint", null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "fingerprint"], name="open311_one_request_per_fingerprint")
        ]

    def __str__(self) -> str:
        return self.token
