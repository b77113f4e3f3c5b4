"""Process settings from the environment (secrets and paths; the organisation lives in config)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.resources import CONTENT_DIR, EXAMPLE_CONFIG
from bot.store.database import private_directory

log = logging.getLogger(__name__)

BUNDLED_CONFIG = EXAMPLE_CONFIG
BUNDLED_CONTENT = CONTENT_DIR
DEFAULT_API_URL = "https://api.telegram.org"
SECRET_FILE = "secret.key"


class SettingsError(Exception):
    """An environment variable is present but unusable."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    secret_key: bytes
    # Set while rotating keys: the key the data was written with (see SECURITY.md).
    previous_secret_key: bytes | None
    config_path: Path
    content_dir: Path
    telegram_token: str | None
    telegram_api_url: str
    staff_chat_id: int | None
    # Telegram's overall sending limit (about 30 a second); 0 turns the limiter off, for a
    # local Bot API server with other limits, or a benchmark against a fake server.
    telegram_messages_per_second: int
    # The bot's Signal number and where signal-cli's daemon listens (host:port or a socket).
    signal_account: str | None
    signal_cli: str | None
    log_level: str
    # False when the key comes from the key file beside the database (development only).
    key_from_environment: bool = False

    @property
    def database_path(self) -> Path:
        return self.data_dir / "parapluie.sqlite3"


def content_paths(environ: Mapping[str, str] | None = None) -> tuple[Path, Path]:
    """The config file and the content folder, for commands that only read them (content
    check, match): nothing is created, no key, no database, no data folder."""
    env = os.environ if environ is None else environ
    return (
        Path(env.get("BOT_CONFIG") or BUNDLED_CONFIG),
        Path(env.get("BOT_CONTENT") or BUNDLED_CONTENT),
    )


def load_settings(environ: Mapping[str, str] | None = None, generate_key: bool = True) -> Settings:
    """`generate_key=False` (the doctor) never writes a key file: without one, the key is
    empty and only paths and tokens are used."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("BOT_DATA_DIR") or "./data")
    private_directory(data_dir)
    staff = env.get("TELEGRAM_STAFF_CHAT_ID") or None
    try:
        staff_chat_id = int(staff) if staff else None
    except ValueError as exc:
        raise SettingsError(
            f"TELEGRAM_STAFF_CHAT_ID: {staff!r} is not a number (a group id looks like -100…)"
        ) from exc
    signal_account, signal_cli = env.get("SIGNAL_ACCOUNT"), env.get("SIGNAL_CLI")
    if bool(signal_account) != bool(signal_cli):
        raise SettingsError(
            "SIGNAL_ACCOUNT and SIGNAL_CLI go together: the bot's number (+32…) and where "
            "signal-cli's daemon listens (127.0.0.1:7583 or /run/signal-cli/socket)"
        )
    return Settings(
        data_dir=data_dir,
        secret_key=_secret_key(env.get("BOT_SECRET_KEY"), data_dir, generate_key),
        previous_secret_key=(env.get("BOT_SECRET_KEY_PREVIOUS") or "").encode() or None,
        config_path=content_paths(env)[0],
        content_dir=content_paths(env)[1],
        telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_api_url=(env.get("TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/"),
        staff_chat_id=staff_chat_id,
        telegram_messages_per_second=_whole_number(env, "TELEGRAM_MAX_MESSAGES_PER_SECOND", 30),
        signal_account=env.get("SIGNAL_ACCOUNT") or None,
        signal_cli=env.get("SIGNAL_CLI") or None,
        log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
        key_from_environment=bool(env.get("BOT_SECRET_KEY")),
    )


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name) or ""
    if not value:
        return default
    if not value.isdecimal():
        raise SettingsError(f"{name}: {value!r} is not a whole number")
    return int(value)


def _secret_key(value: str | None, data_dir: Path, generate: bool = True) -> bytes:
    if value:
        if len(value) < 32:
            raise SettingsError(
                "BOT_SECRET_KEY: too short; use at least 32 random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value.encode()
    # Development convenience only: a key generated once and kept beside the database.
    # Production must pass BOT_SECRET_KEY and keep it away from the disk (see README).
    path = data_dir / SECRET_FILE
    if not path.exists() and not generate:
        return b""
    if not path.exists():
        # 0600 from the first byte: O_EXCL with the mode, never a moment readable by others.
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        log.warning("secret_key_generated path=%s (set BOT_SECRET_KEY in production)", path)
    else:
        log.warning("secret_key_from_data_dir path=%s (set BOT_SECRET_KEY in production)", path)
    return path.read_text().strip().encode()
