"""Hindi: a language switch remembered for the person, `lang` true to the text, complete catalogues."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User

pytestmark = pytest.mark.django_db

SWITCH = "/accounts/language/"
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "hi" / "LC_MESSAGES" / "django.po"
# Where citizen-facing text comes from (the back office's own strings are translated separately).
CITIZEN_SOURCES = re.compile(
    r"^(templates/(?!admin/)|complaints/(forms|views|policies)\.py|complaints/services/|accounts/(forms|views)\.py"
    r"|grievance/templatetags/)"
)


def po_entries(path: Path) -> list[dict]:
    """A minimal .po reader: occurrences, msgid, msgid_plural and the translations of each entry."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"where": [], "msgstr": []}
        key = None
        for line in block.splitlines():
            if line.startswith("#: "):
                entry["where"] += [ref.rsplit(":", 1)[0] for ref in line[3:].split()]
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and key:
                value = line[1:-1]
                if key == "msgstr":
                    entry["msgstr"][-1] += value
                else:
                    entry[key] += value
            else:
                match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
                if match:
                    key = "msgstr" if match.group(1).startswith("msgstr") else match.group(1)
                    if key == "msgstr":
                        entry["msgstr"].append(match.group(2))
                    else:
                        entry[key] = match.group(2)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def test_every_citizen_text_has_a_hindi_translation_and_the_compiled_catalogue_is_current():
    citizen_entries = [e for e in po_entries(CATALOGUE) if any(CITIZEN_SOURCES.match(w) for w in e["where"])]
    assert len(citizen_entries) > 200
    missing = [e["msgid"] for e in citizen_entries if not all(e["msgstr"])]
    assert missing == []
    # The committed .mo says the same as the .po (someone edited the .po without compilemessages?).
    with translation.override("hi"):
        for entry in citizen_entries:
            if "msgid_plural" in entry or "\\" in entry["msgid"]:
                continue
            assert translation.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]


def test_an_anonymous_visitor_switches_to_hindi_and_the_choice_sticks():
    client = Client()
    response = client.post(SWITCH, {"language": "hi", "next": "/track/"})
    assert response.status_code == 302 and response["Location"] == "/track/"
    html = client.get("/track/").content.decode()
    assert '<html lang="hi">' in html
    assert "<h1>शिकायत देखें</h1>" in html
    # The switch back is written in the language it offers.
    assert '<button type="submit" class="link" name="language" value="en" lang="en">English</button>' in html


def test_an_unsafe_next_is_not_followed():
    response = Client().post(SWITCH, {"language": "hi", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_a_signed_in_citizens_choice_is_saved_and_follows_them_to_another_device(citizen):
    phone = Client()
    phone.force_login(citizen)
    phone.post(SWITCH, {"language": "hi", "next": "/complaints/"})
    citizen.refresh_from_db()
    assert citizen.preferred_language == "hi"
    laptop = Client(HTTP_ACCEPT_LANGUAGE="en")
    laptop.force_login(citizen)
    html = laptop.get(reverse("complaints:list")).content.decode()
    assert '<html lang="hi">' in html and "मेरी शिकायतें" in html


def test_a_language_chosen_before_signing_in_becomes_the_saved_one():
    from notifications import sms

    client = Client()
    client.post(SWITCH, {"language": "hi", "next": "/"})
    client.post("/accounts/login/", {"phone": "+919812345678"})
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1].body).group(1)
    client.post("/accounts/login/verify/", {"code": code})
    assert User.objects.get(phone="+919812345678").preferred_language == "hi"


def test_a_hindi_browser_gets_hindi_errors_and_title(citizen, category_infrastructure):
    client = Client(HTTP_ACCEPT_LANGUAGE="hi")
    citizen.preferred_language = "hi"
    citizen.save(update_fields=["preferred_language"])
    client.force_login(citizen)
    response = client.post(reverse("complaints:new"), {"title": "", "description": "", "category": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>त्रुटि: समस्या बताएँ" in html
    assert "शीर्षक लिखें" in html and "श्रेणी चुनें" in html
    assert "Enter a title" not in html and "This field is required" not in html


def test_hindi_pages_load_the_devanagari_font_from_this_site(client):
    css = (Path(settings.BASE_DIR) / "grievance" / "static" / "css" / "site.css").read_text()
    font = re.search(r'url\("\.\./(vendor/noto-sans-devanagari/[^"]+\.woff2)"\)', css).group(1)
    assert (Path(settings.BASE_DIR) / "grievance" / "static" / font).stat().st_size > 10_000
    assert ":lang(hi)" in css
