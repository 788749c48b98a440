"""Importing settings only reads the environment; production settings refuse to guess."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from escape_ai.settings.paths import BASE_DIR

# Variables that would point settings at files or servers outside the copy under test.
_OUTSIDE = {
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "VAR_DIR",
    "PROMETHEUS_MULTIPROC_DIR",
    "DJANGO_SETTINGS_MODULE",
    "JWT_SIGNING_KEY",
}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _OUTSIDE}
    return {**env, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def _tree(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def _fresh_clone(tmp_path: Path) -> Path:
    """The committed and working-tree Python files of the project, without var/ (what a fresh clone has)."""
    clone = tmp_path / "clone"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        source = BASE_DIR / name
        if source.is_file():
            target = clone / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return clone


def _postgres_processes_under(path: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(path) in command:
                found.append(command)
    return found


def test_importing_settings_in_a_fresh_clone_creates_no_file_and_starts_no_process(tmp_path):
    clone = _fresh_clone(tmp_path)
    before = _tree(clone)

    result = subprocess.run(
        [sys.executable, "-c", "import escape_ai.settings.base as s; print(s.DATABASES['default']['HOST'])"],
        cwd=clone,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert _tree(clone) == before  # no var/, no secret key file, no pgdata, no metrics directory
    assert not (clone / "var").exists()
    # Settings say where the embedded server will listen, without starting it.
    assert result.stdout.strip() == str(clone / "var" / "pgdata")
    assert _postgres_processes_under(clone) == []


@pytest.mark.parametrize("missing", ["DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"])
@pytest.mark.parametrize("empty", [False, True])
def test_production_settings_refuse_to_start_without_database_secret_or_hosts(missing, empty):
    given = {
        "DATABASE_URL": "postgres://app:pw@db.internal:5432/escape_ai",
        "SECRET_KEY": "a-production-secret-from-the-environment",
        "ALLOWED_HOSTS": "escape.example.com",
    }
    if empty:
        given[missing] = ""
    else:
        del given[missing]

    result = subprocess.run(
        [sys.executable, "-c", "import escape_ai.settings.production"],
        cwd=BASE_DIR,
        env=_clean_env(**given),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_production_settings_sign_tokens_with_the_secret_key_when_the_jwt_key_is_empty():
    code = (
        "import escape_ai.settings.production as s;"
        "print(s.SIMPLE_JWT['SIGNING_KEY'] == s.SECRET_KEY, s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['HOST'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=_clean_env(
            DATABASE_URL="postgres://app:pw@db.internal:5432/escape_ai",
            SECRET_KEY="a-production-secret-from-the-environment",
            ALLOWED_HOSTS="escape.example.com, api.example.com",
            JWT_SIGNING_KEY="",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "['escape.example.com',", "'api.example.com']", "db.internal"]


def _production_env(**extra: str) -> dict[str, str]:
    import secrets

    return _clean_env(
        DJANGO_SETTINGS_MODULE="escape_ai.settings.production",
        DATABASE_URL="postgres://app:pw@db.internal:5432/escape_ai",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="escape.example.com",
        **extra,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    # Each issue is a line "<object>: (<check id>) <message>".
    issues = re.findall(r"^\S*: \(([\w.]+)\) ", output, flags=re.MULTILINE)
    assert issues == [], output  # the schema's checks (drf_spectacular) included
    assert result.returncode == 0, output


def test_production_settings_serve_https_only_and_trust_the_proxy_only_when_told():
    code = (
        "import escape_ai.settings.production as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, getattr(s, 'SECURE_PROXY_SSL_HEADER', None) is not None,"
        " s.SILENCED_SYSTEM_CHECKS)"
    )

    def run(**extra):
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=BASE_DIR,
            env=_production_env(**extra),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run() == "31536000 True True True True True False []"
    assert run(BEHIND_PROXY="true") == "31536000 True True True True True True []"
    # Preload is a choice: turned off, the deploy check's reminder about it is silenced, nothing else.
    assert run(SECURE_HSTS_PRELOAD="false") == "31536000 False True True True True False ['security.W021']"


@pytest.mark.parametrize("value", ["", "   "])
def test_a_blank_jwt_signing_key_never_signs_in_any_settings(value):
    code = (
        "import escape_ai.settings.{module} as s;"
        "key = s.SIMPLE_JWT['SIGNING_KEY'];"
        "print(bool(key.strip()), key == s.SECRET_KEY)"
    )
    for module, env in (("base", _clean_env(JWT_SIGNING_KEY=value)), ("production", _production_env())):
        env = {**env, "JWT_SIGNING_KEY": value}
        result = subprocess.run(
            [sys.executable, "-c", code.format(module=module)],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["True", "True"], module


def test_debug_is_off_unless_set_and_make_run_sets_it():
    code = "import escape_ai.settings.base as s; print(s.DEBUG)"
    for extra, expected in (({}, "False"), ({"DEBUG": "true"}, "True")):
        env = _clean_env(**extra)
        if not extra:
            env.pop("DEBUG", None)
        result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected
    assert "export DEBUG=${DEBUG:-true}" in (BASE_DIR / "scripts" / "run.sh").read_text()
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "DJANGO_SETTINGS_MODULE=escape_ai.settings.production" in dockerfile


def test_insights_read_from_a_replica_when_one_is_named():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'escape_ai.settings.production'; django.setup();"
        "from django.conf import settings; from analytics.selectors import insights_database;"
        "print(insights_database(), settings.DATABASES.get('insights', {}).get('HOST'))"
    )
    for extra, expected in (
        ({}, "default None"),
        ({"DATABASE_INSIGHTS_URL": "postgres://ro:pw@replica.internal:5432/escape_ai"}, "insights replica.internal"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=BASE_DIR, env=_production_env(**extra), capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == expected
