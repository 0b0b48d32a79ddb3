"""The conversation with a citizen, one inbound message at a time.

Steps (kept in `Conversation.state["step"]`, with the draft beside it):

    (none) --1--> category --> [subcategory] --> description --> [photo --> location] --> confirm --yes--> filed
           --2--> list of my complaints
    any time: "status GRV-...", "rate GRV-... 4", "menu", "cancel", "updates off|on"
    after a "resolved" update: a digit 1-5 rates and closes; after a staff reply: the next text is a comment

SMS is text only, so it skips the photo and location steps. A draft lives
MESSAGING_CONVERSATION_TTL_MINUTES after its last step; an expired draft is dropped, never filed.
Nothing is written to complaints until the citizen confirms, and then in one transaction through
`complaints.services` (the photo downloaded first, size-limited): a half-finished or abandoned flow
leaves only the stored chat messages.

The citizen is the owner of the chat's verified phone: WhatsApp and SMS give it with every message;
on Telegram the citizen shares their own contact once (the bot asks with a button), or, without
sharing it, types their number and then the login code accounts' OTP service texts to it (the same
codes, limits and tries as the web login).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import formats, timezone

from accounts import ratelimit
from accounts.models import Role, User
from accounts.phones import normalize_phone
from accounts.services import (
    OtpRejected,
    RateLimited,
    citizen_get_or_create,
    otp_request,
    otp_verify,
    service_account_get_or_create,
)
from complaints import selectors, services
from complaints.models import Complaint, Source
from departments.models import Category
from grievance.errors import DomainError, PayloadTooLarge
from messaging import texts
from messaging.channels import Button, MediaError, MediaTooLarge, get_channel
from messaging.models import ChannelName, ComplaintConversation, Conversation, Message
from messaging.services import message_send

logger = logging.getLogger(__name__)

DRAFT_STEPS = frozenset({"category", "subcategory", "description", "photo", "location", "confirm"})
MIN_DESCRIPTION = 10
TITLE_LENGTH = 80

MENU_WORDS = {"menu", "hi", "hello", "start", "/start", "help", "/help", "namaste", "नमस्ते", "मेनू"}
CANCEL_WORDS = {"cancel", "/cancel", "stop filing", "रद्द"}
YES_WORDS = {"yes", "y", "haan", "ha", "han", "हाँ", "हां", "ok", "confirm"}
NO_WORDS = {"no", "n", "nahi", "nahin", "नहीं"}
SKIP_WORDS = {"skip", "no", "none", "छोड़ें", "नहीं"}
REFERENCE = r"(GRV-\d{4}-\d{1,9})"
STATUS_RE = re.compile(rf"^\s*(?:status|track|स्थिति)\s+{REFERENCE}\s*$", re.IGNORECASE)
RATE_RE = re.compile(rf"^\s*(?:rate|रेटिंग)\s+{REFERENCE}\s+([1-5])\b\s*(.*)$", re.IGNORECASE | re.DOTALL)
RATING_RE = re.compile(r"^\s*([1-5])\b\s*(.*)$", re.DOTALL)
# Linking a Telegram chat by login code: a typed phone number, then the six digits of the code.
PHONE_TYPED_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{8,20}$")
OTP_RE = re.compile(r"^[0-9]{6}$")

SERVICE_ACCOUNTS = {
    ChannelName.TELEGRAM: ("telegram-bot@channels.grievance.local", "Telegram bot"),
    ChannelName.WHATSAPP: ("whatsapp-bot@channels.grievance.local", "WhatsApp bot"),
    ChannelName.SMS: ("sms-gateway@channels.grievance.local", "SMS gateway"),
}


def channel_service_account(channel: str) -> User:
    """The service account a channel files complaints as (created on first use)."""
    email, name = SERVICE_ACCOUNTS[channel]
    user, _ = service_account_get_or_create(email=email, full_name=name)
    return user


def complaint_source(channel: str) -> str:
    return Source.SMS if channel == ChannelName.SMS else Source.BOT


def handle_inbound(*, message_id: int) -> str:
    """Process one stored inbound message, once: the row is locked and marked processed in the same
    transaction as everything the flow does (a failure rolls all of it back for the retry)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id, direction=Message.Direction.INBOUND, status=Message.Status.RECEIVED)
            .first()
        )
        if message is None:
            return "skipped"
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("citizen")
            .get(pk=message.conversation_id)
        )
        Flow(conversation, message).run()
        message.status = Message.Status.PROCESSED
        message.save(update_fields=["status", "complaint"])
    return "processed"


def conversations_expire(*, now: dt.datetime | None = None) -> int:
    """Drop drafts whose time ran out (the periodic sweep; the flow also checks on each message)."""
    now = now or timezone.now()
    expired = Conversation.objects.filter(expires_at__lt=now, state__step__in=sorted(DRAFT_STEPS))
    return expired.update(state={}, expires_at=None, updated_at=now)


class Flow:
    def __init__(self, conversation: Conversation, message: Message):
        self.conversation = conversation
        self.message = message
        self.channel = get_channel(conversation.channel)
        self.payload = message.payload or {}
        self.text = (message.body or "").strip()
        self.word = self.text.lower()
        self.now = timezone.now()

    # --- helpers -----------------------------------------------------------------------------
    @property
    def state(self) -> dict:
        return self.conversation.state or {}

    @property
    def language(self) -> str:
        return self.conversation.language

    @property
    def citizen(self) -> User | None:
        return self.conversation.citizen

    def say(self, key: str, *, complaint: Complaint | None = None, buttons=None, **values) -> Message:
        return message_send(
            conversation=self.conversation,
            text=texts.render(key, self.language, **values),
            complaint=complaint,
            buttons=buttons,
        )

    def set_state(self, state: dict, *, draft: bool = True) -> None:
        self.conversation.state = state
        ttl = dt.timedelta(minutes=settings.MESSAGING_CONVERSATION_TTL_MINUTES)
        self.conversation.expires_at = self.now + ttl if draft and state.get("step") in DRAFT_STEPS else None
        self.conversation.save(update_fields=["state", "expires_at", "updated_at"])

    def reset(self) -> None:
        self.set_state({}, draft=False)

    # --- the whole turn ------------------------------------------------------------------------
    def run(self) -> None:
        if not self.identify():
            return
        if self.citizen.role != Role.CITIZEN or not self.citizen.is_active:
            self.say("not_a_citizen")
            return
        step = self.state.get("step")
        if step in DRAFT_STEPS and self.conversation.expires_at and self.conversation.expires_at < self.now:
            self.reset()
            self.say("expired")
            step = None
            if not self.is_command():
                self.menu()
                return
        if self.command():
            return
        handler = {
            "category": self.on_category,
            "subcategory": self.on_subcategory,
            "description": self.on_description,
            "photo": self.on_photo,
            "location": self.on_location,
            "confirm": self.on_confirm,
            "rate": self.on_rating,
            "reply": self.on_reply,
        }.get(step or "", self.on_menu)
        handler()

    def identify(self) -> bool:
        """Link the chat to the citizen of its verified phone; on Telegram ask for it once."""
        phone = self.payload.get("sender_phone") or ""
        if phone:
            try:
                phone = normalize_phone(phone)
            except ValidationError:
                phone = ""
        if phone and (self.conversation.citizen_id is None or self.conversation.phone != phone):
            user, _ = citizen_get_or_create(phone=phone, full_name=self.payload.get("sender_name") or "")
            self.conversation.citizen = user
            self.conversation.phone = phone
            self.conversation.save(update_fields=["citizen", "phone", "updated_at"])
            if self.channel.name == ChannelName.TELEGRAM:
                # The shared contact itself is not a command: greet with the menu.
                self.menu()
                return False
        if self.conversation.citizen_id is not None:
            return True
        if self.channel.name == ChannelName.TELEGRAM and self.link_by_code():
            return False
        extra = self.payload.get("extra") or {}
        if extra.get("contact_shared") and not extra.get("contact_is_own"):
            self.say("contact_not_own")
        button = Button(text=texts.render("share_contact_button", self.language), request_contact=True)
        self.say("share_contact", buttons=[button])
        return False

    def link_by_code(self) -> bool:
        """Telegram without sharing the contact: a typed phone number gets a login code by SMS
        (`accounts.services.otp_request`), and the code typed back (`otp_verify`) links the chat to
        that number's citizen. True when this message was a step of it (answered here)."""
        if self.state.get("step") == "link_code" and OTP_RE.match(self.text):
            phone = self.state.get("phone") or ""
            try:
                user, _ = otp_verify(phone=phone, code=self.text, full_name=self.payload.get("sender_name") or "")
            except (OtpRejected, ValidationError):
                self.say("link_code_wrong")
                return True
            self.conversation.citizen, self.conversation.phone = user, phone
            self.conversation.save(update_fields=["citizen", "phone", "updated_at"])
            self.reset()
            self.say("linked", phone=phone)
            self.menu()
            return True
        if not PHONE_TYPED_RE.match(self.text):
            return False
        try:
            phone = normalize_phone(self.text)
        except ValidationError:
            return False
        chat_key = f"messaging-otp-chat:{self.conversation.channel}:{self.conversation.chat_id}"
        if ratelimit.hit(chat_key, limit=settings.OTP_MAX_PER_IP_PER_HOUR, window_seconds=3600):
            self.say("link_later")
            return True
        try:
            otp_request(phone=phone)
        except (RateLimited, ValidationError):
            self.say("link_later")
            return True
        self.set_state({"step": "link_code", "phone": phone}, draft=False)
        self.say("link_code_sent", phone=phone)
        return True

    def is_command(self) -> bool:
        return bool(
            STATUS_RE.match(self.text)
            or RATE_RE.match(self.text)
            or self.word in MENU_WORDS | CANCEL_WORDS | {"updates off", "updates on"}
        )

    def command(self) -> bool:
        """Commands that work at any step. True when the message was one."""
        if match := STATUS_RE.match(self.text):
            self.status(match.group(1).upper())
            return True
        if match := RATE_RE.match(self.text):
            complaint = Complaint.objects.visible_to(self.citizen).filter(reference=match.group(1).upper()).first()
            self.rate(complaint, int(match.group(2)), match.group(3).strip(), reference=match.group(1).upper())
            return True
        if self.word in ("updates off", "updates on"):
            self.conversation.updates_enabled = self.word == "updates on"
            self.conversation.save(update_fields=["updates_enabled", "updated_at"])
            self.say("updates_on" if self.conversation.updates_enabled else "updates_off")
            return True
        if self.word in CANCEL_WORDS:
            had_draft = self.state.get("step") in DRAFT_STEPS
            self.reset()
            if had_draft:
                self.say("cancelled")
            self.menu()
            return True
        if self.word in MENU_WORDS:
            self.reset()
            self.menu()
            return True
        return False

    # --- menu and tracking ---------------------------------------------------------------------
    def menu(self) -> None:
        self.say("menu")

    def on_menu(self) -> None:
        if self.word == "1":
            self.start_filing()
        elif self.word == "2":
            self.my_complaints()
        else:
            self.say("unknown")

    def my_complaints(self) -> None:
        rows = list(Complaint.objects.visible_to(self.citizen).only("reference", "status").order_by("-created_at")[:5])
        if not rows:
            self.say("no_complaints")
            return
        lines = "\n".join(f"{c.reference}: {texts.status_name(c.status, self.language)}" for c in rows)
        self.say("my_complaints", lines=lines)

    def status(self, reference: str) -> None:
        """The public, PII-free view: status, department, the last public step and its official note."""
        complaint = Complaint.objects.public().filter(reference=reference).first()
        if complaint is None:
            self.say("status_unknown", reference=reference)
            return
        timeline = selectors.public_timeline(complaint)
        last = timeline[-1] if timeline else None
        when = timezone.localtime(last.created_at if last else complaint.updated_at)
        note = f" {last.note}" if last and last.note else ""
        department = f" ({complaint.department.name})" if complaint.department_id else ""
        own = complaint.citizen_id == self.citizen.pk
        if own:
            self.message.complaint = complaint
        self.say(
            "status",
            complaint=complaint if own else None,
            reference=complaint.reference,
            status=texts.status_name(complaint.status, self.language),
            department=department,
            when=formats.date_format(when, "SHORT_DATETIME_FORMAT"),
            note=note,
        )

    # --- rating and replies --------------------------------------------------------------------
    def rate(self, complaint: Complaint | None, rating: int, comment: str, *, reference: str) -> None:
        if complaint is None:
            self.say("status_unknown", reference=reference)
            return
        self.message.complaint = complaint
        try:
            services.complaint_close(complaint=complaint, actor=self.citizen, rating=rating, comment=comment)
        except (ValidationError, DomainError) as error:
            self.say("rating_refused", complaint=complaint, reference=complaint.reference, reason=_reason(error))
            return
        if self.state.get("step") == "rate":
            self.reset()
        self.say("rated", complaint=complaint, reference=complaint.reference, rating=rating)

    def on_rating(self) -> None:
        match = RATING_RE.match(self.text)
        complaint = Complaint.objects.visible_to(self.citizen).filter(pk=self.state.get("complaint_id")).first()
        if match is None or complaint is None:
            self.reset()
            self.on_menu()
            return
        self.rate(complaint, int(match.group(1)), match.group(2).strip(), reference=complaint.reference)

    def on_reply(self) -> None:
        complaint = Complaint.objects.visible_to(self.citizen).filter(pk=self.state.get("complaint_id")).first()
        self.reset()
        if complaint is None or not self.text:
            self.on_menu()
            return
        self.message.complaint = complaint
        try:
            services.comment_add(complaint=complaint, author=self.citizen, body=self.text)
        except (ValidationError, DomainError) as error:
            self.say("rating_refused", complaint=complaint, reference=complaint.reference, reason=_reason(error))
            return
        self.say("reply_recorded", complaint=complaint, reference=complaint.reference)

    # --- filing --------------------------------------------------------------------------------
    def start_filing(self) -> None:
        categories = list(Category.objects.filter(parent__isnull=True, is_active=True).order_by("name", "id"))
        if not categories:
            self.say("no_categories")
            return
        self.set_state(
            {"step": "category", "options": [c.pk for c in categories], "draft": {}, "first_message": self.message.pk}
        )
        self.say("choose_category", options=self.numbered(categories))

    def numbered(self, categories: list[Category]) -> str:
        return "\n".join(f"{i}. {c.localized_name(self.language)}" for i, c in enumerate(categories, start=1))

    def choice(self, *, allow_zero: bool = False) -> int | None:
        """The option picked by number (its id), 0 for "none" when allowed, None if not a choice."""
        options = self.state.get("options") or []
        if not self.word.isdigit():
            return None
        number = int(self.word)
        if allow_zero and number == 0:
            return 0
        return options[number - 1] if 1 <= number <= len(options) else None

    def advance(self, step: str, **draft) -> None:
        state = dict(self.state)
        state["step"] = step
        state["draft"] = {**state.get("draft", {}), **draft}
        state.pop("options", None)
        self.set_state(state)

    def on_category(self) -> None:
        picked = self.choice()
        category = Category.objects.filter(pk=picked, is_active=True, parent__isnull=True).first() if picked else None
        if category is None:
            self.say("not_a_choice")
            return
        subcategories = list(category.subcategories.filter(is_active=True).order_by("name", "id"))
        if subcategories:
            self.advance("subcategory", category_id=category.pk)
            self.set_state({**self.state, "options": [c.pk for c in subcategories]})
            self.say("choose_subcategory", options=self.numbered(subcategories))
        else:
            self.advance("description", category_id=category.pk)
            self.say("ask_description")

    def on_subcategory(self) -> None:
        picked = self.choice(allow_zero=True)
        if picked is None:
            self.say("not_a_choice")
            return
        self.advance("description", subcategory_id=picked or None)
        self.say("ask_description")

    def on_description(self) -> None:
        if len(self.text) < MIN_DESCRIPTION:
            self.say("description_too_short", min=MIN_DESCRIPTION)
            return
        if self.channel.name == ChannelName.SMS:
            self.advance("confirm", description=self.text[:5000])
            self.confirm()
        else:
            self.advance("photo", description=self.text[:5000])
            self.say("ask_photo")

    def on_photo(self) -> None:
        ref = self.message.media_ref
        if ref:
            limit = settings.COMPLAINT_ATTACHMENT_MAX_BYTES
            try:
                size = self.message.media_size or self.channel.media_size(ref)
            except MediaError as error:
                logger.info("messaging: photo %s unavailable: %s", ref, error)
                self.say("photo_unreadable")
                return
            if size is not None and size > limit:
                self.say("photo_too_large", limit=limit // (1024 * 1024))
                return
            self.advance("location", photo=ref)
            self.say("ask_location")
        elif self.word in SKIP_WORDS:
            self.advance("location", photo="")
            self.say("ask_location")
        else:
            self.say("ask_photo")

    def on_location(self) -> None:
        if self.message.latitude is not None and self.message.longitude is not None:
            self.advance("confirm", latitude=str(self.message.latitude), longitude=str(self.message.longitude))
            self.confirm()
        elif self.word in SKIP_WORDS:
            self.advance("confirm", latitude=None, longitude=None)
            self.confirm()
        else:
            self.say("ask_location")

    def confirm(self) -> None:
        draft = self.state.get("draft", {})
        category = Category.objects.filter(pk=draft.get("subcategory_id") or draft.get("category_id")).first()
        none = texts.render("skipped", self.language)
        location = f"{draft['latitude']}, {draft['longitude']}" if draft.get("latitude") else none
        self.say(
            "confirm",
            category=category.localized_name(self.language) if category else none,
            description=draft.get("description", ""),
            photo=texts.render("attached", self.language) if draft.get("photo") else none,
            location=location,
        )

    def on_confirm(self) -> None:
        if self.word in YES_WORDS:
            self.file()
        elif self.word in NO_WORDS:
            self.reset()
            self.say("cancelled")
            self.menu()
        else:
            self.say("yes_or_no")

    def file(self) -> None:
        """File the draft through complaints.services: the complaint, its photo and the link to
        this chat together, or nothing."""
        draft = self.state.get("draft", {})
        uploads = []
        if draft.get("photo"):
            try:
                data = self.channel.download(draft["photo"], max_bytes=settings.COMPLAINT_ATTACHMENT_MAX_BYTES)
            except MediaTooLarge:
                return self.back_to_photo("photo_too_large")
            except MediaError as error:
                logger.info("messaging: photo download failed: %s", error)
                return self.back_to_photo("photo_unreadable")
            uploads = [SimpleUploadedFile("photo.jpg", data)]
        category = Category.objects.filter(pk=draft.get("category_id")).first()
        subcategory = (
            Category.objects.filter(pk=draft.get("subcategory_id")).first() if draft.get("subcategory_id") else None
        )
        description = draft.get("description", "")
        title = description.splitlines()[0][:TITLE_LENGTH] if description else ""
        try:
            with transaction.atomic():
                complaint = services.complaint_create_with_attachments(
                    uploads=uploads,
                    citizen=self.citizen,
                    created_by=channel_service_account(self.channel.name),
                    title=title,
                    description=description,
                    category=category,
                    subcategory=subcategory,
                    source=complaint_source(self.channel.name),
                    language=texts.language_of(self.language),
                    latitude=draft.get("latitude"),
                    longitude=draft.get("longitude"),
                    metadata={"channel": self.channel.name, "conversation_id": self.conversation.pk},
                )
                ComplaintConversation.objects.create(complaint=complaint, conversation=self.conversation)
                Message.objects.filter(
                    conversation=self.conversation,
                    pk__gte=self.state.get("first_message", self.message.pk),
                    complaint=None,
                ).update(complaint=complaint)
        except PayloadTooLarge:
            return self.back_to_photo("photo_too_large")
        except ValidationError as error:
            if "file" in getattr(error, "message_dict", {}):
                return self.back_to_photo("photo_unreadable")
            return self.filing_failed(error)
        except DomainError as error:
            return self.filing_failed(error)
        self.message.complaint = complaint
        self.reset()
        self.say("filed", complaint=complaint, reference=complaint.reference)

    def back_to_photo(self, key: str) -> None:
        self.advance("photo", photo="")
        self.say(key, limit=settings.COMPLAINT_ATTACHMENT_MAX_BYTES // (1024 * 1024))

    def filing_failed(self, error: Exception) -> None:
        logger.info("messaging: filing from conversation %s refused: %s", self.conversation.pk, error)
        self.reset()
        self.say("filing_failed", reason=_reason(error))


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return getattr(error, "message", "") or str(error)
