import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting_the_app_reads():
    settings_source = (ROOT / "grievance" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', settings_source))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no env reads found: the pattern no longer matches settings.py"
    assert read - listed == set(), "settings read variables that .env.example does not document"
