"""Apps use each other's public names only. (Which app may import which is import-linter's layers contract in
pyproject.toml, run by `make test`.)"""

import ast
from pathlib import Path

from escape_ai.settings.paths import BASE_DIR

APPS = ("escape_ai", "analytics", "rooms", "accounts", "plays", "ml", "chat", "web", "demo")


def _private_names_from_other_apps(path: Path) -> list[str]:
    own_app = path.relative_to(BASE_DIR).parts[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            app = node.module.split(".")[0]
            if app in APPS and app != own_app:
                names = [alias.name for alias in node.names if alias.name.startswith("_")]
                modules = [part for part in node.module.split(".") if part.startswith("_")]
                found += [f"{path}:{node.lineno} from {node.module} import {name}" for name in names + modules]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in APPS and parts[0] != own_app and any(p.startswith("_") for p in parts):
                    found.append(f"{path}:{node.lineno} import {alias.name}")
    return found


def test_no_app_imports_a_private_name_of_another_app():
    files = [path for app in APPS for path in (BASE_DIR / app).rglob("*.py") if "migrations" not in path.parts]

    offenders = [line for path in files for line in _private_names_from_other_apps(path)]

    assert len(files) > 100
    assert offenders == []


def test_the_checker_sees_a_private_import():
    """The check above can fail: a module of chat taking rooms' private analyser is reported."""
    module = BASE_DIR / "chat" / "_layers_probe.py"
    module.write_text("from rooms.text import _get_kiwi\nimport rooms._hidden\n")
    try:
        assert _private_names_from_other_apps(module) == [
            f"{module}:1 from rooms.text import _get_kiwi",
            f"{module}:2 import rooms._hidden",
        ]
    finally:
        module.unlink()
