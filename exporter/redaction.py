"""One redaction for every message a user or a log sees: no password, ever.

The database URL is the one secret the exporter holds. Its password is remembered when
the URL is read (``remember_url``), in every form libpq may echo it (as written and
percent-decoded), and ``redact`` removes it from any text, on top of patterns for the
shapes a URL or a key=value connection string takes. libpq's parse errors quote the
offending token, which can be the bare password ('invalid percent-encoded token:
"pa%zz"', 'unexpected spaces found in "p w"'): quoted tokens of a connection-string
error are masked as well, whatever the password's length (``connection_string_error``).
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote

MASK = "***"
_MIN_LITERAL = 3  # shorter ones are masked only where they stand alone (a quoted token)

_lock = threading.Lock()
_secrets: set[str] = set()
_short_secrets: set[str] = set()

_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*:?//)(?P<userinfo>[^\s/?#]*)@")
_KEYWORD_PASSWORD = re.compile(r"(?P<key>\bpassword\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'?|\S+)")
_QUERY_PASSWORD = re.compile(r"(?P<key>[?&]password=)(?P<value>[^&\s]*)")
_QUOTED = re.compile(r'"[^"]*"')


def _candidates(url: str) -> set[str]:
    found: set[str] = set()
    for m in _URL_USERINFO.finditer(url):
        userinfo = m["userinfo"]
        if ":" in userinfo:
            found.add(userinfo.split(":", 1)[1])
    # A URL whose password holds a space or a slash: everything between the first ':'
    # after '//' and the last '@'.
    start, at = url.find("//"), url.rfind("@")
    if start != -1 and at > start:
        userinfo = url[start + 2 : at]
        if ":" in userinfo:
            found.add(userinfo.split(":", 1)[1])
    for pattern in (_KEYWORD_PASSWORD, _QUERY_PASSWORD):
        for m in pattern.finditer(url):
            found.add(m["value"].strip("'"))
    return found | {unquote(s) for s in found}


def remember_url(url: str) -> str:
    """Remember the password of ``url`` (any shape, even malformed); returns ``url``."""
    found = {s for s in _candidates(url) if s}
    with _lock:
        _secrets.update(s for s in found if len(s) >= _MIN_LITERAL)
        _short_secrets.update(s for s in found if len(s) < _MIN_LITERAL)
    return url


def redact(text: str) -> str:
    """``text`` without any remembered password or password-shaped part of a URL."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _URL_USERINFO.sub(
        lambda m: (
            m["scheme"]
            + (
                m["userinfo"].split(":", 1)[0] + ":" + MASK
                if ":" in m["userinfo"]
                else m["userinfo"]
            )
            + "@"
        ),
        text,
    )
    text = _KEYWORD_PASSWORD.sub(lambda m: m["key"] + MASK, text)
    return _QUERY_PASSWORD.sub(lambda m: m["key"] + MASK, text)


def connection_string_error(message: str) -> str:
    """libpq's complaint about a connection string: the first line, each token it quotes
    redacted (a token that is a password on its own is masked whatever its length)."""
    first = next((ln.strip() for ln in message.splitlines() if ln.strip()), "malformed")
    with _lock:
        short = set(_short_secrets)

    def token(m: re.Match[str]) -> str:
        inner = m.group(0)[1:-1]
        if inner in short:
            return f'"{MASK}"'
        return f'"{redact(inner)}"'

    return redact(_QUOTED.sub(token, first))
