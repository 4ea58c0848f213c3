"""A real OpenID Connect provider for the tests, built from Authlib's server components and served over HTTP on
127.0.0.1: discovery, JWKS, the authorization endpoint and the token endpoint, with RS256 ID tokens signed by a
key generated per run, PKCE (S256) required and single-use authorization codes.

Python rather than Node's `oidc-provider`: it runs wherever the test suite runs (no Node.js or npm needed), in
the test process, so a test can say who is signed in at the provider and make it misbehave in one precise way
(`provider.tamper`): an ID token for another audience, already expired, signed by a stranger's key, or carrying
another nonce. The client under test must refuse each of those; nothing on its side is stubbed.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, abort, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

# What tests may ask the provider to get wrong in the ID token it issues.
TAMPERS = ("audience", "expired", "signature", "nonce")


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in ("openid", "profile", "email"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    subject: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class Provider:
    """One provider on 127.0.0.1:<free port>. `people` maps a subject to its claims; `signed_in` is the subject
    the provider considers signed in (its own login page is not what these tests are about)."""

    def __init__(self, client_id: str = "agora-test", client_secret: str = "agora-test-secret") -> None:  # noqa: S107
        self.key = RSAKey.generate_key(2048, parameters={"kid": "agora-test-key", "use": "sig", "alg": "RS256"})
        self.stranger_key = RSAKey.generate_key(2048, parameters={"kid": "agora-test-key", "alg": "RS256"})
        self.client = Client(client_id, client_secret)
        self.codes: dict[str, Code] = {}
        self.people: dict[str, dict[str, Any]] = {}
        self.signed_in: str | None = None
        self.tamper: str | None = None
        # What the token endpoint answered, in order: "issued" or the OAuth error code.
        self.token_requests: list[str] = []
        self.authorization_requests: list[dict[str, str]] = []
        self.app = self._build()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="oidc-provider", daemon=True)

    # --- running it ---

    def start(self) -> Provider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def person(self, subject: str, **claims: Any) -> str:
        self.people[subject] = {"sub": subject, **claims}
        return subject

    # --- the provider itself ---

    def _build(self) -> Flask:
        provider = self
        app = Flask("oidc-provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 300}

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                provider.codes[code] = Code(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.payload.scope,
                    subject=req.user,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found is not None and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                # Single use: a code that was exchanged once is gone (a replay gets invalid_grant).
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> str:
                return authorization_code.subject

        class IDToken(OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(code.nonce == nonce for code in provider.codes.values())

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.stranger_key if provider.tamper == "signature" else provider.key

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": "agora-test-key"}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                now = int(time.time())
                claims: dict[str, Any] = {"iss": provider.issuer, "aud": [client.client_id], "exp": now + 300}
                if provider.tamper == "audience":
                    # For another site, though naming us as the authorized party: only a client that checks
                    # `aud` itself (OIDC Core 3.1.3.7, step 3) refuses it; Authlib's azp check alone would not.
                    claims["aud"] = "some-other-site"
                    claims["azp"] = client.client_id
                if provider.tamper == "expired":
                    claims["iat"] = now - 7200
                    claims["exp"] = now - 3600
                return claims

            def get_authorization_code_claims(self, authorization_code: Code) -> dict[str, Any]:
                claims = super().get_authorization_code_claims(authorization_code)
                if provider.tamper == "nonce":
                    claims["nonce"] = "a-nonce-from-another-sign-in"
                return claims

            def generate_user_info(self, user: str, scope: str) -> UserInfo:
                return UserInfo(provider.people[user])

        server = AuthorizationServer(
            app,
            query_client=lambda client_id: provider.client if client_id == provider.client.client_id else None,
            save_token=lambda token, req: None,
        )
        server.register_grant(CodeGrant, [IDToken(require_nonce=True), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=provider.issuer,
                authorization_endpoint=f"{provider.issuer}/authorize",
                token_endpoint=f"{provider.issuer}/token",
                jwks_uri=f"{provider.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=["openid", "profile", "email"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                code_challenge_methods_supported=["S256"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize():
            provider.authorization_requests.append(request.args.to_dict())
            # This provider insists on PKCE with S256, as a careful company's would.
            if request.args.get("code_challenge_method") != "S256" or not request.args.get("code_challenge"):
                abort(400, "PKCE (S256) is required")
            if provider.signed_in is None:
                abort(401, "nobody is signed in at the provider")
            grant = server.get_consent_grant(end_user=provider.signed_in)
            return server.create_authorization_response(grant=grant, grant_user=provider.signed_in)

        @app.post("/token")
        def token():
            response = server.create_token_response()
            body = response.get_json(silent=True) or {}
            provider.token_requests.append(body.get("error", "issued"))
            return response

        return app
