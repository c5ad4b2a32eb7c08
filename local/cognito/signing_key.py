"""The RSA key the run's user pools sign their tokens with, put into moto's Cognito.

moto signs every pool's tokens with a key of its own and writes the fixed kid "dummy" into
their headers. The runner makes one key per state directory instead (saved by local/state.py,
so tokens issued before a restart stay valid) and serves its public half as the pool's JWKS,
so tokens are checked by kid as with AWS.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from joserfc import jwk, jwt
from moto.cognitoidp import models as cognito_models
from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse


@dataclass(frozen=True)
class SigningKey:
    """The RSA key every user pool of this run signs its tokens with."""

    key: jwk.RSAKey

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    @property
    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    @classmethod
    def generate(cls) -> SigningKey:
        parameters: Any = {"kid": secrets.token_hex(16), "alg": "RS256", "use": "sig"}
        return cls(jwk.RSAKey.generate_key(2048, parameters=parameters, private=True))


_MOTO_POOL_INIT = cognito_models.CognitoIdpUserPool.__init__


class _KidFromKey:
    """Stands in for `joserfc.jwt` inside moto's Cognito models: the header gets the key's kid."""

    @staticmethod
    def encode(header: dict[str, Any], claims: dict[str, Any], key: jwk.RSAKey) -> str:
        return jwt.encode({**header, "kid": key.kid}, claims, key)


def install_signing_key(signing_key: SigningKey) -> None:
    """Make every user pool created from now on sign with `signing_key`, and serve its JWKS."""

    def pool_init(pool: Any, *args: Any, **kwargs: Any) -> None:
        _MOTO_POOL_INIT(pool, *args, **kwargs)
        pool.json_web_key = signing_key.key

    cognito_models.CognitoIdpUserPool.__init__ = pool_init  # type: ignore[method-assign,assignment]
    cognito_models.jwt = _KidFromKey  # type: ignore[assignment]
    CognitoIdpJsonWebKeyResponse.json_web_key = json.dumps(signing_key.public_jwks).encode()
