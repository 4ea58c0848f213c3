"""Links in e-mail: the site's address and signed one-click unsubscribe tokens, one signer per app."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app, has_app_context, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer

EXTENSION = "agora_unsubscribe"
FALLBACK_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Signer:
    """Signs unsubscribe tokens with one app's secret and builds links to that app's public address."""

    secret: str
    configured_url: str  # PUBLIC_URL, or "" when it is not set
    from_request: bool = False  # unset outside production: the address the site is being reached at

    @property
    def base_url(self) -> str:
        """The site's public address. Only outside production may it come from the request: there the Host
        header is the developer's own, while in production anyone could send one and steer mailed links."""
        if self.configured_url:
            return self.configured_url
        if self.from_request and has_request_context():
            return request.host_url.rstrip("/")
        return FALLBACK_URL

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt="agora-unsubscribe")

    def token(self, user_id: int) -> str:
        return self._serializer().dumps({"u": user_id})

    def user_id(self, token: str) -> int | None:
        """The member id a token was signed for, or None when it was tampered with or signed by another app."""
        try:
            data = self._serializer().loads(token)
        except BadSignature:
            return None
        return data.get("u") if isinstance(data, dict) else None

    def reply_token(self, message_id: int, user_id: int, thread: str) -> str:
        """The token in a Reply-To address: names one sent e-mail and is signed for its recipient and thread.
        Short lowercase hex, so that it fits a 64-character local part and survives servers that lowercase it."""
        return f"{message_id}-{self._reply_mac(message_id, user_id, thread)}"

    def reply_message_id(self, token: str) -> int | None:
        """The e-mail id a reply token claims (its signature is checked against that e-mail by `reply_valid`)."""
        number, _, mac = token.lower().partition("-")
        return int(number) if number.isdigit() and len(number) < 12 and mac else None

    def reply_valid(self, token: str, message_id: int, user_id: int, thread: str) -> bool:
        _number, _, mac = token.lower().partition("-")
        return hmac.compare_digest(mac, self._reply_mac(message_id, user_id, thread))

    def _reply_mac(self, message_id: int, user_id: int, thread: str) -> str:
        text = f"agora-reply:{message_id}:{user_id}:{thread}".encode()
        return hmac.new(self.secret.encode(), text, hashlib.sha256).hexdigest()[:24]


def make_signer(secret: str, base_url: str, from_request: bool = False) -> Signer:
    return Signer(secret, base_url.rstrip("/"), from_request=from_request and not base_url)


# Services called with no app around (scripts, tests arranging data) still queue mail; its links are signed
# with a key nobody knows, so they verify nowhere rather than under some other app's key.
_DETACHED = make_signer(secrets.token_hex(32), FALLBACK_URL)


def signer() -> Signer:
    """The running app's signer (made by create_app), else the detached one."""
    if has_app_context():
        return current_app.extensions[EXTENSION]
    return _DETACHED
