"""The shape rules of the codebase, checked over the source tree (cheap, and they stop drift)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "analytics", "complaints", "departments", "grievance", "notifications", "open311", "messaging")


def _sources():
    for app in APPS:
        folder = ROOT / app
        if folder.is_dir():
            for path in folder.rglob("*.py"):
                if "migrations" not in path.parts and "tests" not in path.parts:
                    yield path


def test_no_module_imports_another_modules_private_names():
    offences = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in APPS:
                offences += [
                    f"{path.relative_to(ROOT)}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")
                ]
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                base = node.value
                if isinstance(base, ast.Name) and base.id in {
                    "services",
                    "escalation",
                    "notifications",
                    "policies",
                    "selectors",
                    "outbox",
                    "notices",
                    "sweeps",
                }:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: {base.id}.{node.attr}")
    assert offences == []


def test_imports_point_one_way_between_the_core_apps():
    # complaints -> departments -> accounts; nothing below imports what is above it.
    above = {"accounts": ("departments", "complaints", "analytics"), "departments": ("complaints", "analytics")}
    offences = []
    for path in _sources():
        app = path.relative_to(ROOT).parts[0]
        forbidden = above.get(app, ())
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offences += [f"{path.relative_to(ROOT)} imports {n}" for n in names if n.split(".")[0] in forbidden]
    assert offences == []


def test_nobody_imports_analytics():
    offences = []
    for path in _sources():
        if path.relative_to(ROOT).parts[0] in ("analytics", "grievance"):
            continue  # the project package wires urls and the seed command
        text = path.read_text()
        if "import analytics" in text or "from analytics" in text:
            offences.append(str(path.relative_to(ROOT)))
    assert offences == []
