"""Reference and demo data for departments: a believable city organisation.

`seed_reference_data()` creates or updates the department tree (with contacts and escalation
policies), categories and subcategories (English and Hindi, each routed to a department), SLA
policies (a default and a few overrides) and closure reasons. `seed_demo_staff()` adds an officer
and a manager per department and attaches the foundation's demo manager and officer to a
department. Both are idempotent: rows are found by their codes (or emails) and updated in place, so
a second run creates nothing.
"""

from collections import Counter
from typing import Any

from accounts.models import Role, User
from departments.models import Category, ClosureReason, Department, EscalationStep, Priority, SLAPolicy

DEMO_EMAIL_DOMAIN = "demo.grievance.local"

# (code, name, parent code, contact phone, escalation levels as (hours, notify executives))
DEPARTMENTS: list[tuple[str, str, str | None, str, list[tuple[int, bool]]]] = [
    ("municipal-corporation", "Municipal Corporation", None, "1800 180 1100", [(48, False), (24, True)]),
    (
        "public-works",
        "Public Works",
        "municipal-corporation",
        "+91 11 2345 1200",
        [(72, False), (48, False), (24, True)],
    ),
    ("roads", "Roads", "public-works", "+91 11 2345 1210", [(72, False), (48, False), (24, True)]),
    ("street-lighting", "Street Lighting", "public-works", "+91 11 2345 1220", [(48, False), (24, False), (12, True)]),
    ("water-supply", "Water Supply", "municipal-corporation", "1800 180 1300", [(24, False), (24, False), (12, True)]),
    ("sanitation", "Sanitation", "municipal-corporation", "1800 180 1400", [(48, False), (24, False), (24, True)]),
    ("parks", "Parks and Gardens", "municipal-corporation", "+91 11 2345 1500", [(96, False), (48, False), (24, True)]),
    ("traffic-police", "Traffic Police", "municipal-corporation", "1095", [(24, False), (12, False), (6, True)]),
]

# code -> (name, Hindi name, description, default department, default priority, ordering, subcategories)
# subcategory: (code, name, Hindi name, default department, default priority)
CATEGORIES: list[tuple[str, str, str, str, str | None, str, int, list[tuple[str, str, str, str | None, str]]]] = [
    (
        "infrastructure",
        "Infrastructure",
        "बुनियादी ढांचा",
        "Roads, footpaths, water pipes and drains.",
        "public-works",
        Priority.MEDIUM,
        10,
        [
            ("potholes", "Potholes", "सड़क में गड्ढे", "roads", Priority.MEDIUM),
            ("road-damage", "Damaged road or footpath", "टूटी सड़क या फुटपाथ", "roads", Priority.LOW),
            ("water-leak", "Water leak or burst pipe", "पानी का रिसाव या पाइप फटना", "water-supply", Priority.HIGH),
            ("drainage", "Blocked drain or sewer", "नाली या सीवर जाम", "sanitation", Priority.MEDIUM),
        ],
    ),
    (
        "traffic",
        "Traffic",
        "यातायात",
        "Signals, parking and obstructions on the road.",
        "traffic-police",
        Priority.MEDIUM,
        20,
        [
            ("signal-fault", "Traffic signal not working", "ट्रैफिक सिग्नल खराब", "traffic-police", Priority.HIGH),
            ("illegal-parking", "Illegal parking", "अवैध पार्किंग", "traffic-police", Priority.LOW),
            ("road-obstruction", "Obstruction on the road", "सड़क पर अवरोध", "traffic-police", Priority.HIGH),
        ],
    ),
    (
        "lighting",
        "Lighting",
        "प्रकाश व्यवस्था",
        "Streetlights and public lighting.",
        "street-lighting",
        Priority.MEDIUM,
        30,
        [
            ("streetlight-out", "Streetlight not working", "स्ट्रीटलाइट बंद", "street-lighting", Priority.MEDIUM),
            ("exposed-wiring", "Exposed electrical wiring", "खुले बिजली के तार", "street-lighting", Priority.URGENT),
            (
                "light-on-daytime",
                "Streetlight on during the day",
                "दिन में स्ट्रीटलाइट जल रही है",
                "street-lighting",
                Priority.LOW,
            ),
        ],
    ),
    (
        "waste-management",
        "Waste Management",
        "कचरा प्रबंधन",
        "Garbage collection, bins and dumping.",
        "sanitation",
        Priority.MEDIUM,
        40,
        [
            ("garbage-not-collected", "Garbage not collected", "कचरा नहीं उठाया गया", "sanitation", Priority.MEDIUM),
            ("overflowing-bin", "Overflowing public bin", "कूड़ेदान भरा हुआ", "sanitation", Priority.MEDIUM),
            ("illegal-dumping", "Illegal dumping", "अवैध रूप से कचरा फेंकना", "sanitation", Priority.LOW),
            ("dead-animal", "Dead animal", "मृत पशु", "sanitation", Priority.HIGH),
        ],
    ),
    (
        "parks",
        "Parks",
        "उद्यान",
        "Public parks, gardens and trees.",
        "parks",
        Priority.LOW,
        50,
        [
            ("park-maintenance", "Park not maintained", "पार्क का रखरखाव नहीं", "parks", Priority.LOW),
            ("fallen-tree", "Fallen tree or branch", "गिरा हुआ पेड़ या डाल", "parks", Priority.HIGH),
            ("broken-equipment", "Broken play or gym equipment", "टूटे झूले या व्यायाम उपकरण", "parks", Priority.MEDIUM),
        ],
    ),
    (
        "other",
        "Other",
        "अन्य",
        "Anything else: a dispatcher reads it and sends it to the right department.",
        None,
        Priority.MEDIUM,
        99,
        [
            ("general", "General complaint", "सामान्य शिकायत", None, Priority.MEDIUM),
            ("suggestion", "Suggestion", "सुझाव", None, Priority.LOW),
        ],
    ),
]

# (category code or None, department code or None, hours low, medium, high, urgent)
SLA_POLICIES: list[tuple[str | None, str | None, int, int, int, int]] = [
    (None, None, 168, 72, 24, 6),  # the default
    ("water-leak", None, 72, 24, 12, 4),  # water is lost every hour
    ("exposed-wiring", None, 48, 12, 6, 2),  # a danger to life
    (None, "traffic-police", 72, 24, 8, 2),  # traffic problems clear fast or not at all
    ("potholes", "roads", 168, 96, 48, 12),  # road repair needs material and a crew
]

# (code, name, Hindi name, description)
CLOSURE_REASONS: list[tuple[str, str, str, str]] = [
    ("resolved", "Resolved", "समाधान हो गया", "The problem was fixed."),
    ("duplicate", "Duplicate", "दोहराई गई शिकायत", "Another complaint already covers the same problem."),
    (
        "not_our_jurisdiction",
        "Not our jurisdiction",
        "हमारे अधिकार क्षेत्र में नहीं",
        "Another authority is responsible; the citizen is told which one.",
    ),
    (
        "insufficient_information",
        "Insufficient information",
        "अपर्याप्त जानकारी",
        "The complaint cannot be acted on without more details, and none came.",
    ),
    ("spam", "Spam or abusive", "स्पैम या अपमानजनक", "Not a genuine complaint."),
    ("withdrawn", "Withdrawn by the citizen", "नागरिक द्वारा वापस ली गई", "The citizen no longer needs it."),
]

# The foundation's demo users join a department so their department views are not empty.
FOUNDATION_STAFF_DEPARTMENTS = {
    f"manager@{DEMO_EMAIL_DOMAIN}": "public-works",
    f"officer@{DEMO_EMAIL_DOMAIN}": "roads",
}


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def seed_reference_data(*, stdout=None) -> dict[str, dict[str, int]]:
    """Create or update the reference data. Returns {kind: {"total": rows, "created": new rows}}."""
    created: Counter[str] = Counter()

    departments: dict[str, Department] = {}
    for code, name, parent_code, phone, levels in DEPARTMENTS:
        department, was_created = Department.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "parent": departments[parent_code] if parent_code else None,
                "is_active": True,
                "contact_email": f"{code}@{DEMO_EMAIL_DOMAIN}",
                "contact_phone": phone,
            },
        )
        created["departments"] += was_created
        departments[code] = department
        for level, (hours, notify_executives) in enumerate(levels, start=1):
            _step, was_created = EscalationStep.objects.update_or_create(
                department=department,
                level=level,
                defaults={
                    "hours": hours,
                    "notify_manager": True,
                    "notify_assignee": True,
                    "notify_citizen": True,
                    "notify_executives": notify_executives,
                },
            )
            created["escalation_steps"] += was_created
        EscalationStep.objects.filter(department=department, level__gt=len(levels)).delete()
    levels = 1 + max(d.depth for d in departments.values())
    _say(stdout, f"  departments: {len(departments)} in a tree of {levels} levels")

    categories: dict[str, Category] = {}
    for code, name, name_hi, description, department_code, priority, ordering, subcategories in CATEGORIES:
        category, was_created = Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_hi": name_hi,
                "description": description,
                "parent": None,
                "default_department": departments[department_code] if department_code else None,
                "default_priority": priority,
                "is_active": True,
                "ordering": ordering,
            },
        )
        created["categories"] += was_created
        categories[code] = category
        for position, (sub_code, sub_name, sub_name_hi, sub_department, sub_priority) in enumerate(subcategories):
            subcategory, was_created = Category.objects.update_or_create(
                code=sub_code,
                defaults={
                    "name": sub_name,
                    "name_hi": sub_name_hi,
                    "parent": category,
                    "default_department": departments[sub_department] if sub_department else None,
                    "default_priority": sub_priority,
                    "is_active": True,
                    "ordering": (position + 1) * 10,
                },
            )
            created["subcategories"] += was_created
            categories[sub_code] = subcategory
    _say(stdout, f"  categories: {len(CATEGORIES)} with {len(categories) - len(CATEGORIES)} subcategories")

    for category_code, department_code, low, medium, high, urgent in SLA_POLICIES:
        _policy, was_created = SLAPolicy.objects.update_or_create(
            category=categories[category_code] if category_code else None,
            department=departments[department_code] if department_code else None,
            defaults={"hours_low": low, "hours_medium": medium, "hours_high": high, "hours_urgent": urgent},
        )
        created["sla_policies"] += was_created
    _say(stdout, f"  SLA policies: the default (168/72/24/6 h) and {len(SLA_POLICIES) - 1} overrides")

    for ordering, (code, name, name_hi, description) in enumerate(CLOSURE_REASONS, start=1):
        _reason, was_created = ClosureReason.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_hi": name_hi,
                "description": description,
                "is_active": True,
                "ordering": ordering * 10,
            },
        )
        created["closure_reasons"] += was_created
    _say(stdout, f"  closure reasons: {len(CLOSURE_REASONS)}")

    totals = {
        "departments": Department.objects.count(),
        "escalation_steps": EscalationStep.objects.count(),
        "categories": Category.objects.filter(parent__isnull=True).count(),
        "subcategories": Category.objects.filter(parent__isnull=False).count(),
        "sla_policies": SLAPolicy.objects.count(),
        "closure_reasons": ClosureReason.objects.count(),
    }
    return {kind: {"total": total, "created": created[kind]} for kind, total in totals.items()}


def demo_staff_email(role: str, department_code: str) -> str:
    return f"{role}.{department_code}@{DEMO_EMAIL_DOMAIN}"


def seed_demo_staff(*, password: str, stdout=None) -> dict[str, dict[str, int]]:
    """An officer and a manager for every seeded department (password `password`, set when the user
    is created), each department's manager set, and the foundation's demo manager and officer
    placed in public works and roads. Needs seed_reference_data() first."""
    departments = {d.code: d for d in Department.objects.filter(code__in=[row[0] for row in DEPARTMENTS])}
    created = 0
    rows: list[tuple[str, str, str]] = []
    for code, name, *_rest in DEPARTMENTS:
        department = departments[code]
        for role, title in ((Role.OFFICER, "Officer"), (Role.MANAGER, "Manager")):
            user, was_created = _staff_user(
                email=demo_staff_email(role, code),
                full_name=f"{name} {title}",
                role=role,
                department=department,
                password=password,
            )
            created += was_created
            rows.append((role, user.email, code))
            if role == Role.MANAGER and department.manager_id != user.pk:
                department.manager = user
                department.save(update_fields=["manager"])
    for email, code in FOUNDATION_STAFF_DEPARTMENTS.items():
        User.objects.filter(email=email).exclude(department=departments[code]).update(department=departments[code])
    _say(stdout, f"  department staff: {len(rows)} ({created} new), an officer and a manager per department")
    for role, email, code in rows:
        _say(stdout, f"    {role:<8} {email:<50} {code}")
    return {"staff_users": {"total": len(rows), "created": created}}


def _staff_user(*, email: str, full_name: str, role: str, department: Department, password: str) -> tuple[User, bool]:
    user, was_created = User.objects.get_or_create(
        email=email, defaults={"full_name": full_name, "role": role, "department": department}
    )
    if was_created:
        user.set_password(password)
        user.save(update_fields=["password"])
    else:
        changes: dict[str, Any] = {}
        if user.role != role:
            changes["role"] = role
        if user.department_id != department.pk:
            changes["department"] = department
        if changes:
            for field, value in changes.items():
                setattr(user, field, value)
            user.save(update_fields=[*changes, "is_superuser"])
    return user, was_created


def summary(counts: dict[str, dict[str, int]]) -> str:
    """One line for the seed command: 'departments 8 (0 new), escalation steps 23 (0 new), ...'."""
    labels = {"sla_policies": "SLA policies", "staff_users": "department staff"}
    return ", ".join(
        f"{labels.get(kind, kind.replace('_', ' '))} {c['total']} ({c['created']} new)" for kind, c in counts.items()
    )
