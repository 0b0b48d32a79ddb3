"""Providers' webhooks: verified, stored, answered at once; the flow runs in a task.

A webhook is refused (403, logged) when its signature or secret is wrong or missing, and when
every message in it is older than MESSAGING_WEBHOOK_MAX_AGE_SECONDS (a replay). A message whose
provider id was seen before (the provider retrying, or a replay of a recent call) is acknowledged
with 200 so the provider stops retrying, and is not processed again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from messaging.channels import CHANNELS, WebhookRejected
from messaging.channels.whatsapp import WhatsAppChannel
from messaging.models import ChannelName
from messaging.services import inbound_store

logger = logging.getLogger("messaging.webhooks")


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "?")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, channel: str) -> HttpResponse:
    provider = CHANNELS.get(channel)
    if provider is None:
        raise Http404("No such channel.")
    if request.method == "GET":
        if not isinstance(provider, WhatsAppChannel):
            return HttpResponse(status=405)
        try:
            return HttpResponse(provider.challenge(request), content_type="text/plain")
        except WebhookRejected as error:
            logger.warning("webhook %s: verification refused from %s: %s", channel, _client(request), error.reason)
            return JsonResponse({"detail": "Verification refused."}, status=403)
    try:
        provider.verify(request)
        messages = provider.parse(request)
    except WebhookRejected as error:
        logger.warning("webhook %s: refused from %s: %s", channel, _client(request), error.reason)
        return JsonResponse({"detail": "Refused."}, status=error.status)

    now = timezone.now()
    max_age = dt.timedelta(seconds=settings.MESSAGING_WEBHOOK_MAX_AGE_SECONDS)
    counts = {"accepted": 0, "duplicates": 0, "stale": 0}
    for message in messages:
        if provider.dated and message.sent_at is not None and now - message.sent_at > max_age:
            counts["stale"] += 1
            logger.warning(
                "webhook %s: refused stale message %s sent at %s", channel, message.provider_message_id, message.sent_at
            )
            continue
        if inbound_store(inbound=message) is None:
            counts["duplicates"] += 1
            logger.warning("webhook %s: replayed message %s ignored", channel, message.provider_message_id)
            continue
        counts["accepted"] += 1
    if counts["stale"] and not counts["accepted"]:
        return JsonResponse({"detail": "Refused: too old.", **counts}, status=403)
    if channel == ChannelName.SMS:
        # Twilio expects TwiML; an empty response sends nothing back (replies go out by the API).
        return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")
    return JsonResponse(counts)
