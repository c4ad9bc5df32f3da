from __future__ import annotations

import pytest
from pydantic import ValidationError

from resim.config import Settings

GOOD_PRODUCTION = {
    "RESIM_MODE": "production",
    "RESIM_DEMO": "false",
    "RESIM_DB__URL": "postgresql+psycopg://resim@db.internal/resim",
    "RESIM_EMAIL__BACKEND": "smtp",
    "RESIM_SECURITY__SECRET_KEY": "k" * 40,
    "RESIM_SECURITY__COOKIE_SECURE": "true",
    "RESIM_SMS__INBOUND_TOKEN": "t" * 40,
    "RESIM_DOCUMENTS__KEYS": '{"k1": "' + "A" * 43 + '="}',
    "RESIM_SMDP__BACKEND": "es2plus",
    "RESIM_SMDP__URL": "https://smdp.example.net",
    "RESIM_SMDP__TLS_CERT": "/etc/resim/es2plus.pem",
    "RESIM_SMDP__TLS_KEY": "/etc/resim/es2plus.key",
    "RESIM_SMDP__NOTIFY_TOKEN": "n" * 40,
}
# What each setting's absence is reported as (RESIM_DEMO defaults to true: demo mode).
REPORTED_AS = {
    "RESIM_DEMO": "RESIM_DEMO",
    "RESIM_DB__URL": "SQLite",
    "RESIM_EMAIL__BACKEND": "RESIM_EMAIL__BACKEND",
    "RESIM_SECURITY__SECRET_KEY": "SECRET_KEY",
    "RESIM_SECURITY__COOKIE_SECURE": "COOKIE_SECURE",
    "RESIM_SMS__INBOUND_TOKEN": "INBOUND_TOKEN",
    "RESIM_DOCUMENTS__KEYS": "DOCUMENTS__KEYS",
    "RESIM_SMDP__BACKEND": "RESIM_SMDP__BACKEND",
    "RESIM_SMDP__URL": "RESIM_SMDP__URL",
    "RESIM_SMDP__TLS_CERT": "RESIM_SMDP__TLS_CERT",
    "RESIM_SMDP__TLS_KEY": "RESIM_SMDP__TLS_KEY",
    "RESIM_SMDP__NOTIFY_TOKEN": "RESIM_SMDP__NOTIFY_TOKEN",
}


def test_development_defaults_are_embedded() -> None:
    settings = Settings()
    assert settings.db.url.startswith("sqlite")
    assert settings.email.backend == "outbox"
    assert settings.jobs.embedded_worker


def test_nested_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESIM_JOBS__MAX_ATTEMPTS", "3")
    monkeypatch.setenv("RESIM_EMAIL__SMTP_PORT", "2525")
    settings = Settings()
    assert settings.jobs.max_attempts == 3
    assert settings.email.smtp_port == 2525


def test_production_refuses_every_embedded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESIM_MODE", "production")
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    for expected in ["SQLite", "outbox", "sandbox", "SECRET_KEY", "COOKIE_SECURE", "RESIM_DEMO"]:
        assert expected in message


@pytest.mark.parametrize("missing", sorted(set(GOOD_PRODUCTION) - {"RESIM_MODE"}))
def test_production_needs_each_real_setting(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    for key, value in GOOD_PRODUCTION.items():
        if key != missing:
            monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert REPORTED_AS[missing] in str(raised.value)


def test_with_every_real_setting_only_the_missing_real_systems_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in GOOD_PRODUCTION.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    # The SMS gateway has no real client yet: production waits for it.
    assert "RESIM_SMS__BACKEND" in message and "SMDP" not in message
    for reported in REPORTED_AS.values():
        assert reported not in message


def test_a_secret_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESIM_SECURITY__SECRET_KEY", "super-secret-value-123")
    assert "super-secret-value-123" not in repr(Settings())
