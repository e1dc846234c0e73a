"""The learner's (or mentor's) settings: which hub they belong to and the token for it, and the
address of their server that the app last graded.

Kept as JSON beside the progress database, readable by its owner only, since the token is a
credential. Written atomically, so a crash mid-write leaves the old settings, never half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from apilab import paths


class SettingsError(Exception):
    """The settings file cannot be read or written; the message names it and what to do."""


@dataclass(frozen=True)
class HubLogin:
    url: str
    token: str
    name: str = ""
    role: str = ""


def settings_path() -> Path:
    return paths.data_home() / "settings.json"


def _load() -> dict:
    path = settings_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path} is unreadable ({exc}). Log in again with "
                            "`apilab login HUB_URL --token TOKEN` to rewrite it.") from None


def load_hub() -> HubLogin | None:
    """The hub this machine is logged in to, or None."""
    hub = _load().get("hub")
    try:
        return HubLogin(**hub) if hub else None
    except TypeError as exc:
        raise SettingsError(f"{settings_path()} is unreadable ({exc}). Log in again with "
                            "`apilab login HUB_URL --token TOKEN` to rewrite it.") from None


def load_server_url() -> str | None:
    """The address of the learner's server last set in the app (u), or None."""
    url = _load().get("server_url")
    return url if isinstance(url, str) and url else None


def save_server_url(url: str) -> None:
    """Remember the address of the learner's server for the app's next start."""
    _save("server_url", url)


def current_token(url: str) -> str | None:
    """The token this machine is logged in with at the hub `url` now, if it still is: an app
    that is already open picks up a new `apilab login` through this."""
    try:
        hub = load_hub()
    except SettingsError:
        return None
    return hub.token if hub is not None and hub.url.rstrip("/") == url.rstrip("/") else None


def save_hub(hub: HubLogin | None) -> None:
    """Store (or with None, forget) the hub, replacing the file atomically."""
    _save("hub", asdict(hub) if hub else None)


def _save(key: str, value: object) -> None:
    """Set one setting, keeping the others, replacing the file atomically."""
    path = settings_path()
    try:
        data = {**_load(), key: value}
    except SettingsError:  # an unreadable file is replaced: what it held is lost already
        data = {key: value}
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".settings-")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as exc:
        raise SettingsError(f"could not write {path}: {exc.strerror or exc}") from None
