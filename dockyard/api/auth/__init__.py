"""Authentication strategies: noauth (headers, nothing to install) or keystone (ADR 0020)."""

from __future__ import annotations

from fastapi import FastAPI
from oslo_config import cfg

from dockyard.api.auth.authenticator import TokenAuthenticator
from dockyard.api.auth.identity import Identity
from dockyard.api.auth.middleware import PUBLIC_PATHS, KeystoneAuthMiddleware

__all__ = ["PUBLIC_PATHS", "Identity", "TokenAuthenticator", "install"]


def install(app: FastAPI, conf: cfg.ConfigOpts) -> None:
    """Set up `[auth] strategy` on `app`: `app.state.token_auth`, and for keystone the token
    middleware. Call it before adding `OpenStackMiddleware`, which must run first (outermost).
    """
    app.state.token_auth = conf.auth.strategy == "keystone"
    if app.state.token_auth:
        from dockyard.api.auth.keystone import authenticator_from_conf  # keystoneauth1: lazily

        authenticator, www_authenticate_uri = authenticator_from_conf(conf)
        app.add_middleware(
            KeystoneAuthMiddleware,
            authenticator=authenticator,
            www_authenticate_uri=www_authenticate_uri,
        )
