"""``serve --web-config FILE``: TLS and basic auth in the Prometheus exporter-toolkit format.

The same file that node_exporter and Prometheus itself read::

    tls_server_config:
      cert_file: /etc/execmetrics/tls.crt
      key_file: /etc/execmetrics/tls.key
      min_version: TLS12          # optional: TLS12 (default) or TLS13
    basic_auth_users:
      prometheus: $2y$10$...      # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':')

Keys this exporter does not implement (client certificates, cipher suites, HTTP/2
settings) are refused rather than silently ignored, so a file never promises more
protection than it gives. Every path in the file is relative to the file's folder.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal

import bcrypt
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from exporter.errors import ConfigError

_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TLSServerConfig(_Strict):
    cert_file: Path
    key_file: Path
    min_version: Literal["TLS12", "TLS13"] = "TLS12"

    def uvicorn_options(self) -> dict[str, object]:
        return {"ssl_context_factory": lambda _config, _default: self.context()}

    def context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = (
            ssl.TLSVersion.TLSv1_3 if self.min_version == "TLS13" else ssl.TLSVersion.TLSv1_2
        )
        ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
        return ctx


class WebConfig(_Strict):
    tls_server_config: TLSServerConfig | None = None
    basic_auth_users: dict[str, str] | None = None

    @field_validator("basic_auth_users")
    @classmethod
    def _bcrypt_hashes(cls, users: dict[str, str] | None) -> dict[str, str] | None:
        for name, hashed in (users or {}).items():
            if not name or ":" in name:
                raise ValueError(f"user name {name!r}: empty or containing ':'")
            if not isinstance(hashed, str) or not hashed.startswith(_BCRYPT_PREFIXES):
                raise ValueError(f"user {name!r}: the password must be a bcrypt hash ($2y$…)")
        return users

    def check_password(self, user: str, password: str) -> bool:
        """True when the user exists and the password matches its bcrypt hash."""
        hashed = (self.basic_auth_users or {}).get(user)
        if hashed is None:
            return False
        try:
            return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
        except ValueError:
            return False


def _error_path(error: dict[str, object]) -> str:
    return ".".join(str(p) for p in error.get("loc", ()))  # type: ignore[attr-defined]


def load_web_config(path: Path) -> WebConfig:
    """Read and validate a web-config file; every problem is one ConfigError line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--web-config {path}: cannot read: {exc}") from None
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"--web-config {path}: not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"--web-config {path}: expected a mapping at the top level")
    try:
        web = WebConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _error_path(dict(first))
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown or unsupported key"
        raise ConfigError(f"--web-config {path}: {where}: {message}") from None
    tls = web.tls_server_config
    if tls is not None:
        base = path.parent
        tls = tls.model_copy(
            update={"cert_file": base / tls.cert_file, "key_file": base / tls.key_file}
        )
        try:
            tls.context()
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"--web-config {path}: tls_server_config: cannot load the certificate or key: "
                f"{getattr(exc, 'strerror', None) or exc}"
            ) from None
        web = web.model_copy(update={"tls_server_config": tls})
    return web
