"""Where the plugin finds Moisson, and the optional API token, kept safe.

The server URL and the id of a QGIS authentication configuration live in QgsSettings; the
token itself lives only in QGIS's authentication database (encrypted with the user's master
password), in a config named "Moisson API token" holding it as its password. QGIS 3.22 has
no auth method that sends `Authorization: Bearer`, so the plugin reads the token from that
config when it sends a request and sets the header itself (api_client.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsSettings
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
)

__all__ = [
    "Connection",
    "SettingsDialog",
    "SettingsError",
    "load_connection",
    "read_token",
    "save_connection",
]

KEY = "moisson_search"
DEFAULT_URL = "http://127.0.0.1:8080"
TOKEN_CONFIG_NAME = "Moisson API token"


class SettingsError(ValueError):
    """A setting cannot be saved as given (bad URL, auth database locked)."""


@dataclass(frozen=True)
class Connection:
    """The server's base URL (no trailing slash) and the auth config id ('' for none)."""

    url: str
    authcfg: str = ""


def load_connection() -> Connection:
    settings = QgsSettings()
    url = str(settings.value(f"{KEY}/url", DEFAULT_URL) or DEFAULT_URL)
    return Connection(url.rstrip("/"), str(settings.value(f"{KEY}/authcfg", "") or ""))


def check_url(url: str) -> str:
    """The base URL as stored; SettingsError naming what is wrong."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"the Moisson URL must start with http:// or https:// ({url!r})")
    if parts.username or parts.password:
        raise SettingsError("put credentials in the API token, not in the URL")
    if parts.query or parts.fragment:
        raise SettingsError("the Moisson URL takes no query string (give the base URL)")
    return url


def _unlocked() -> None:
    manager = QgsApplication.authManager()
    if manager.isDisabled():
        raise SettingsError(
            f"QGIS's authentication system is disabled: {manager.disabledMessage()}"
        )
    if not manager.setMasterPassword(True):
        raise SettingsError("the authentication database is locked (master password not given)")


def _store_token(token: str, existing: str) -> str:
    """Create or update the token's auth config; its id."""
    _unlocked()
    manager = QgsApplication.authManager()
    config = QgsAuthMethodConfig("Basic")
    if (
        existing
        and manager.loadAuthenticationConfig(existing, config, True)
        and config.method() == "Basic"
    ):
        config.setConfig("password", token)
        if not manager.updateAuthenticationConfig(config):
            raise SettingsError("could not update the token in the authentication database")
        return existing
    config = QgsAuthMethodConfig("Basic")
    config.setName(TOKEN_CONFIG_NAME)
    config.setConfig("username", "moisson-token")
    config.setConfig("password", token)
    if not manager.storeAuthenticationConfig(config) or not config.id():
        raise SettingsError("could not store the token in the authentication database")
    return config.id()


def read_token(authcfg: str) -> str:
    """The token of an auth config ('' when none or unreadable)."""
    if not authcfg:
        return ""
    config = QgsAuthMethodConfig()
    if not QgsApplication.authManager().loadAuthenticationConfig(authcfg, config, True):
        return ""
    return config.config("password", "")


def save_connection(url: str, token: str = "", forget_token: bool = False) -> Connection:
    """Save the URL; a non-empty `token` is stored (or replaces the stored one) in the auth
    database; `forget_token` removes it. Only the config id reaches QgsSettings."""
    current = load_connection()
    url = check_url(url)
    authcfg = current.authcfg
    if forget_token and authcfg:
        QgsApplication.authManager().removeAuthenticationConfig(authcfg)
        authcfg = ""
    elif token.strip():
        authcfg = _store_token(token.strip(), authcfg)
    settings = QgsSettings()
    settings.setValue(f"{KEY}/url", url)
    settings.setValue(f"{KEY}/authcfg", authcfg)
    return Connection(url, authcfg)


class SettingsDialog(QDialog):
    """Moisson URL and API token. The token field never shows a stored token."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Moisson search settings")
        current = load_connection()
        self.url_edit = QLineEdit(current.url)
        self.url_edit.setPlaceholderText(DEFAULT_URL)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.Password)
        self.token_edit.setPlaceholderText(
            "a token is stored (type a new one to replace it)"
            if current.authcfg
            else "optional: from `moisson tokens create`"
        )
        self.forget_box = QCheckBox("Forget the stored token")
        self.forget_box.setEnabled(bool(current.authcfg))
        form = QFormLayout(self)
        form.addRow("Moisson URL", self.url_edit)
        form.addRow("API token", self.token_edit)
        form.addRow("", self.forget_box)
        note = QLabel(
            "The token is kept in QGIS's authentication database (master password), "
            "never in the plain settings."
        )
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        try:
            save_connection(
                self.url_edit.text(), self.token_edit.text(), self.forget_box.isChecked()
            )
        except SettingsError as exc:
            QMessageBox.warning(self, "Moisson search settings", str(exc))
            return
        super().accept()
