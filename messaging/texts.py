"""What the bot says, in English and Hindi (the citizen's preferred_language; English until the
chat is linked to a citizen). One entry per message; `{name}` placeholders filled by `render`."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "menu": {
        "en": "Welcome to the Grievance helpline.\n1. File a complaint\n2. Track my complaints\n"
        "Send 'status GRV-2026-000123' any time to check a complaint.",
        "hi": "शिकायत हेल्पलाइन में आपका स्वागत है।\n1. शिकायत दर्ज करें\n2. मेरी शिकायतें देखें\n"
        "किसी भी समय शिकायत की स्थिति जानने के लिए 'status GRV-2026-000123' भेजें।",
    },
    "share_contact": {
        "en": "To file or follow complaints we need your phone number. Tap 'Share my phone number' below, "
        "or type your mobile number and we will text you a code.",
        "hi": "शिकायत दर्ज करने या देखने के लिए हमें आपका फ़ोन नंबर चाहिए। नीचे 'Share my phone number' दबाएँ, "
        "या अपना मोबाइल नंबर लिखें, हम आपको एक कोड SMS करेंगे।",
    },
    "link_code_sent": {
        "en": "We sent a 6-digit code to {phone} by SMS. Type it here to link this chat to your number.",
        "hi": "हमने {phone} पर 6 अंकों का कोड SMS किया है। इस चैट को अपने नंबर से जोड़ने के लिए उसे यहाँ लिखें।",
    },
    "link_code_wrong": {
        "en": "That code did not work. Type the 6-digit code from the SMS, or type your number again for a new code.",
        "hi": "यह कोड सही नहीं है। SMS वाला 6 अंकों का कोड लिखें, या नया कोड पाने के लिए अपना नंबर फिर से लिखें।",
    },
    "link_later": {
        "en": "Too many codes were asked for. Please try again later, or share your phone number with the button.",
        "hi": "बहुत अधिक कोड माँगे गए। कृपया बाद में प्रयास करें, या बटन से अपना फ़ोन नंबर भेजें।",
    },
    "linked": {
        "en": "This chat is now linked to {phone}.",
        "hi": "यह चैट अब {phone} से जुड़ गई है।",
    },
    "share_contact_button": {"en": "Share my phone number", "hi": "Share my phone number"},
    "contact_not_own": {
        "en": "Please share your own phone number with the button, not someone else's contact.",
        "hi": "कृपया बटन से अपना ही फ़ोन नंबर भेजें, किसी और का संपर्क नहीं।",
    },
    "choose_category": {
        "en": "What is the problem about? Reply with a number:\n{options}\nSend 'cancel' to stop.",
        "hi": "समस्या किस बारे में है? एक संख्या भेजें:\n{options}\nरोकने के लिए 'cancel' भेजें।",
    },
    "choose_subcategory": {
        "en": "Which of these? Reply with a number (0 if none fits):\n{options}",
        "hi": "इनमें से कौन सी? एक संख्या भेजें (कोई मेल न खाए तो 0):\n{options}",
    },
    "not_a_choice": {
        "en": "Please reply with one of the numbers shown.",
        "hi": "कृपया दिखाई गई संख्याओं में से एक भेजें।",
    },
    "no_categories": {
        "en": "Complaints cannot be filed here right now. Please try again later.",
        "hi": "अभी यहाँ शिकायत दर्ज नहीं हो सकती। कृपया बाद में प्रयास करें।",
    },
    "ask_description": {
        "en": "Describe the problem in a few words: what and where.",
        "hi": "समस्या कुछ शब्दों में बताएँ: क्या और कहाँ।",
    },
    "description_too_short": {
        "en": "Please describe the problem in at least {min} characters.",
        "hi": "कृपया समस्या कम से कम {min} अक्षरों में बताएँ।",
    },
    "ask_photo": {
        "en": "Send a photo of the problem, or reply 'skip'.",
        "hi": "समस्या की एक फ़ोटो भेजें, या 'skip' लिखें।",
    },
    "photo_too_large": {
        "en": "That photo is too large (the limit is {limit} MB). Send a smaller one, or reply 'skip'.",
        "hi": "यह फ़ोटो बहुत बड़ी है (सीमा {limit} MB)। छोटी फ़ोटो भेजें, या 'skip' लिखें।",
    },
    "photo_unreadable": {
        "en": "We could not use that photo. Send a JPEG or PNG photo, or reply 'skip'.",
        "hi": "यह फ़ोटो उपयोग नहीं हो सकी। JPEG या PNG फ़ोटो भेजें, या 'skip' लिखें।",
    },
    "ask_location": {
        "en": "Share the location of the problem (attach > Location), or reply 'skip'.",
        "hi": "समस्या की जगह (लोकेशन) भेजें, या 'skip' लिखें।",
    },
    "confirm": {
        "en": "Please check:\nCategory: {category}\nProblem: {description}\nPhoto: {photo}\nLocation: {location}\n"
        "Reply 'yes' to file it or 'no' to cancel.",
        "hi": "कृपया जाँचें:\nश्रेणी: {category}\nसमस्या: {description}\nफ़ोटो: {photo}\nजगह: {location}\n"
        "दर्ज करने के लिए 'yes' या रद्द करने के लिए 'no' लिखें।",
    },
    "yes": {"en": "yes", "hi": "हाँ"},
    "no": {"en": "no", "hi": "नहीं"},
    "yes_or_no": {"en": "Please reply 'yes' or 'no'.", "hi": "कृपया 'yes' या 'no' लिखें।"},
    "filed": {
        "en": "Your complaint is filed. Reference: {reference}. We will message you here when it moves. "
        "Send 'status {reference}' to check it.",
        "hi": "आपकी शिकायत दर्ज हो गई। संदर्भ संख्या: {reference}। प्रगति होने पर हम आपको यहीं संदेश भेजेंगे। "
        "स्थिति जानने के लिए 'status {reference}' भेजें।",
    },
    "filing_failed": {
        "en": "Your complaint could not be filed: {reason} Nothing was saved; please start again.",
        "hi": "आपकी शिकायत दर्ज नहीं हो सकी: {reason} कुछ भी सहेजा नहीं गया; कृपया फिर से शुरू करें।",
    },
    "cancelled": {
        "en": "Cancelled. Nothing was filed.",
        "hi": "रद्द किया गया। कोई शिकायत दर्ज नहीं हुई।",
    },
    "expired": {
        "en": "Your unfinished complaint expired and was not filed. Let's start again.",
        "hi": "आपकी अधूरी शिकायत का समय समाप्त हो गया और वह दर्ज नहीं हुई। फिर से शुरू करते हैं।",
    },
    "my_complaints": {
        "en": "Your latest complaints:\n{lines}\nSend 'status <reference>' for details.",
        "hi": "आपकी हाल की शिकायतें:\n{lines}\nविवरण के लिए 'status <संदर्भ संख्या>' भेजें।",
    },
    "no_complaints": {"en": "You have not filed any complaints yet.", "hi": "आपने अभी तक कोई शिकायत दर्ज नहीं की है।"},
    "status": {
        "en": "{reference}: {status}{department}. Last update: {when}.{note}",
        "hi": "{reference}: {status}{department}। अंतिम अपडेट: {when}।{note}",
    },
    "status_unknown": {
        "en": "No complaint has the reference {reference}. Check it and try again.",
        "hi": "{reference} संदर्भ संख्या की कोई शिकायत नहीं मिली। जाँच कर फिर प्रयास करें।",
    },
    "update": {
        "en": "Update on {reference}: {status}.{note}",
        "hi": "{reference} पर अपडेट: {status}।{note}",
    },
    "ask_rating": {
        "en": "Is the problem solved? Reply with a rating from 1 (bad) to 5 (very good) to close the complaint.",
        "hi": "क्या समस्या हल हो गई? शिकायत बंद करने के लिए 1 (खराब) से 5 (बहुत अच्छा) तक रेटिंग भेजें।",
    },
    "rated": {
        "en": "Thank you. {reference} is closed with your rating of {rating}.",
        "hi": "धन्यवाद। {reference} आपकी {rating} रेटिंग के साथ बंद कर दी गई है।",
    },
    "rating_refused": {"en": "Could not close {reference}: {reason}", "hi": "{reference} बंद नहीं हो सकी: {reason}"},
    "notice": {
        "en": "Notice from {department}: {title}\n{body}",
        "hi": "{department} की सूचना: {title}\n{body}",
    },
    "staff_reply": {
        "en": "Reply from the office about {reference}:\n{body}\n(Answer here to reply.)",
        "hi": "{reference} के बारे में कार्यालय का उत्तर:\n{body}\n(उत्तर देने के लिए यहीं लिखें।)",
    },
    "reply_recorded": {
        "en": "Thank you, your reply was added to {reference}.",
        "hi": "धन्यवाद, आपका उत्तर {reference} में जोड़ दिया गया।",
    },
    "updates_off": {
        "en": "Updates in this chat are off. Send 'updates on' to turn them back on.",
        "hi": "इस चैट में अपडेट बंद हैं। फिर से चालू करने के लिए 'updates on' भेजें।",
    },
    "updates_on": {"en": "Updates in this chat are on.", "hi": "इस चैट में अपडेट चालू हैं।"},
    "not_a_citizen": {
        "en": "This number cannot file complaints here. Please use the website.",
        "hi": "यह नंबर यहाँ शिकायत दर्ज नहीं कर सकता। कृपया वेबसाइट का उपयोग करें।",
    },
    "unknown": {
        "en": "Sorry, I did not understand that. Reply 'menu' for the options.",
        "hi": "क्षमा करें, समझ नहीं आया। विकल्पों के लिए 'menu' लिखें।",
    },
    "skipped": {"en": "none", "hi": "नहीं"},
    "attached": {"en": "attached", "hi": "संलग्न"},
}

STATUS_NAMES: dict[str, dict[str, str]] = {
    "new": {"en": "received", "hi": "प्राप्त"},
    "triaged": {"en": "sent to the department", "hi": "विभाग को भेजी गई"},
    "in_progress": {"en": "being worked on", "hi": "कार्य जारी है"},
    "escalated": {"en": "escalated to a senior officer", "hi": "वरिष्ठ अधिकारी को भेजी गई"},
    "resolved": {"en": "resolved", "hi": "हल हो गई"},
    "closed": {"en": "closed", "hi": "बंद"},
    "rejected": {"en": "rejected", "hi": "अस्वीकृत"},
}


def language_of(code: str | None) -> str:
    return "hi" if (code or "").lower().startswith("hi") else "en"


def render(key: str, language: str | None, **values) -> str:
    entry = TEXTS[key]
    return entry[language_of(language)].format(**values)


def status_name(status: str, language: str | None) -> str:
    names = STATUS_NAMES.get(status)
    return names[language_of(language)] if names else status.replace("_", " ")
