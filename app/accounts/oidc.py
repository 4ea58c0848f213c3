"""The company's OpenID Connect provider, through Authlib's Flask client: discovery, the authorization code flow
with PKCE (S256), state and nonce kept in the signed cookie session, and the ID token's signature checked against
the provider's published keys (JWKS) and its issuer, audience, expiry and nonce against what we sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError

from app.auth.permissions import company_sign_in_only

EXTENSION = "agora_oidc"
# The ID token names the member; a name and an e-mail address are all the community asks for.
SCOPE = "openid email profile"
TIMEOUT = 10  # seconds for each call to the provider: a hung provider must not hold a worker for long


class SignInFailed(Exception):
    """The provider's answer was refused (forged or lost state, a used code, a token that fails its checks,
    the provider unreachable). The reason is for the log, never for the page."""


def init_app(app: Flask) -> None:
    """Register the provider when OIDC_ISSUER is set; its discovery document is fetched at the first sign-in."""
    issuer = app.config.get("OIDC_ISSUER")
    if not issuer:
        return
    oauth = OAuth(app)
    oauth.register(
        "company",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": TIMEOUT},
    )
    app.extensions[EXTENSION] = oauth


def enabled() -> bool:
    return EXTENSION in current_app.extensions


def company_only() -> bool:
    return company_sign_in_only()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def form_action_origins() -> tuple[str, ...]:
    """Where the sign-in button's form may lead (CSP form-action): the issuer's origin, and the authorization
    endpoint's once a sign-in has read the discovery document. Not fetched here, so a slow provider never slows
    the sign-in page; providers put that endpoint on the issuer's origin, so the first sign-in is not held up."""
    issuer = current_app.config["OIDC_ISSUER"]
    endpoint = _client().server_metadata.get("authorization_endpoint", "")
    return tuple(origin for origin in (_origin(issuer), _origin(endpoint)) if origin)


def _client() -> Any:
    return current_app.extensions[EXTENSION].create_client("company")


def authorize_redirect(redirect_uri: str):
    """The redirect to the provider; the state, nonce and PKCE verifier wait in the session for the way back."""
    try:
        return _client().authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, KeyError) as error:
        raise SignInFailed(f"discovery failed: {error!r}") from error


def verified_claims() -> dict[str, Any]:
    """The claims of the ID token the provider sent back for this request's code, once every check passed.

    Authlib checks the state against the session (and forgets it: a state works once), sends the code with the
    PKCE verifier, verifies the signature against the JWKS, then iss (here: exactly the configured issuer, as
    discovery must), aud (this client), azp, exp and iat (two minutes' leeway) and the nonce."""
    config = current_app.config
    # Authlib checks aud only through azp; an ID token must name this client in aud (OIDC Core 3.1.3.7, step 3).
    options = {
        "iss": {"essential": True, "value": config["OIDC_ISSUER"]},
        "aud": {"essential": True, "value": config["OIDC_CLIENT_ID"]},
    }
    try:
        token = _client().authorize_access_token(claims_options=options)
    except (OAuthError, JoseError, requests.RequestException, ValueError, KeyError) as error:
        raise SignInFailed(repr(error)) from error
    claims = token.get("userinfo")
    if not claims:
        raise SignInFailed("the provider sent no ID token")
    return dict(claims)
