"""Token validation against Keystone (ADR 0020).

`KeystoneValidator` asks Keystone about one token through the service user's token lookup
(`services.service_user.token_lookup`: a keystoneauth1 session made in providers/openstack)
and decides what the answer means. It blocks: the `TokenAuthenticator` in front of it runs
it in a worker thread, on a cache miss only. Imported only in keystone mode.
"""

from __future__ import annotations

import logging
import time

from oslo_config import cfg

from dockyard.api.auth.authenticator import KeystoneUnavailable, TokenAuthenticator
from dockyard.api.auth.identity import Identity, from_token_document
from dockyard.conf import keystone_authtoken
from dockyard.services import service_user

LOG = logging.getLogger(__name__)


class KeystoneValidator:
    """Blocking validation of one token with the service user's session."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.tokens = service_user.token_lookup(conf)
        group = conf[keystone_authtoken.GROUP]
        # Where a 401 sends clients: the configured public URI, else the service user's auth_url.
        self.www_authenticate_uri: str | None = group.www_authenticate_uri or self.tokens.auth_url

    def validate(self, token: str) -> Identity | None:
        """The token's identity; None when Keystone says it is not valid (bad, expired, revoked)."""
        try:
            status, body = self.tokens.lookup(token)
        except ConnectionError as exc:  # the lookup's IdentityUnreachable
            # Connection failures, no identity endpoint, the service user's own login refused.
            LOG.error("cannot validate tokens with Keystone: %s", exc)
            raise KeystoneUnavailable(str(exc)) from exc
        if status == 200:
            try:
                identity = from_token_document(body)
            except (KeyError, TypeError, ValueError) as exc:
                LOG.error("Keystone returned a token document Dockyard cannot read: %r", exc)
                raise KeystoneUnavailable("unreadable token document") from exc
            return identity if identity.expires_at > time.time() else None
        if status in (401, 403):
            # keystoneauth has already re-authenticated once: our service user is refused.
            LOG.error(
                "Keystone refused Dockyard's service user validating a token (HTTP %s); check "
                "[keystone_authtoken] and that the user has the service or admin role",
                status,
            )
            raise KeystoneUnavailable(f"HTTP {status} from Keystone")
        if 400 <= status < 500:
            return None  # 404 "Failed to validate token" (bad, expired or revoked), 400 malformed
        LOG.error("Keystone answered HTTP %s while validating a token", status)
        raise KeystoneUnavailable(f"HTTP {status} from Keystone")


def authenticator_from_conf(conf: cfg.ConfigOpts) -> tuple[TokenAuthenticator, str | None]:
    """The authenticator for `[keystone_authtoken]` and the URI for WWW-Authenticate."""
    group = conf[keystone_authtoken.GROUP]
    validator = KeystoneValidator(conf)
    authenticator = TokenAuthenticator(
        validator.validate, group.token_cache_time, group.token_cache_size
    )
    return authenticator, validator.www_authenticate_uri
