"""Test settings: the real settings with a per-run secret and an isolated var/ folder."""

import os
import secrets
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-" + secrets.token_urlsafe(40))
os.environ.setdefault("PAITIENT_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))
# Test clients and the live server speak plain HTTP on loopback.
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
# A per-run master key (32 random bytes): tests never need the production key.
os.environ.setdefault("PAITIENT_MASTER_KEY", __import__("base64").b64encode(secrets.token_bytes(32)).decode())

from portal.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405 - models that exercise encrypted fields

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users; production keeps PBKDF2
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise serves from finders in tests
