"""Start-up refuses unsafe or malformed configuration with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SECRET_KEY_FILE", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *(args or ("check",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_start_without_secret_key_fails_with_one_clear_line():
    result = run_manage({"DEBUG": "0"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: SECRET_KEY is required when DEBUG is off (set SECRET_KEY or SECRET_KEY_FILE)"
    )
    assert "Traceback" not in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cr3t-" + "x" * 50)
    result = run_manage({"DEBUG": "0", "SECRET_KEY_FILE": str(secret_file)})
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_unreadable_secret_key_file_is_named():
    result = run_manage({"DEBUG": "0", "SECRET_KEY_FILE": "/nonexistent/secret"})
    assert result.returncode == 2
    assert "SECRET_KEY_FILE=/nonexistent/secret cannot be read" in result.stderr


def test_malformed_boolean_is_named():
    result = run_manage({"DEBUG": "maybe"})
    assert result.returncode == 2
    assert "DEBUG must be a boolean" in result.stderr


def test_malformed_database_url_is_named():
    result = run_manage({"SECRET_KEY": "k" * 50, "DATABASE_URL": "nosuchscheme://x"})
    assert result.returncode == 2
    assert "DATABASE_URL must be a postgres:// or sqlite:/// URL" in result.stderr
