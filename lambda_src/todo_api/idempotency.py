"""Idempotent creates: `POST /items` with an `Idempotency-Key` runs at most once per key.

Powertools' idempotency utility keeps one record per (caller's `sub`, key) in a DynamoDB
table: the first request marks it in progress, runs the create and stores the answer; a
repeat within the window gets that stored answer (the same todo, 201) without a second create.
The key is scoped to the caller, so two users can never collide; the request body is the
record's payload, so a key cannot be reused for another request.

Where Powertools leaves the choice, the IETF draft draft-ietf-httpapi-idempotency-key-header
decides (section 2.6, "Error Scenarios"):
- a repeat while the first request is still running: 409 Conflict (with Retry-After);
- the same key with another body: 422 Unprocessable Content.
A create that fails releases the key (Powertools deletes the in-progress record), so the
client's retry runs again. A request without the header is never deduplicated.

Powertools' persistence layer needs boto3, which the Lambda runtime provides; it is imported
and its client built on the first keyed request only, so other requests pay nothing for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from todo_api.errors import IdempotencyKeyInUse, IdempotencyKeyReused, UpstreamUnavailable

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.base import (
        BasePersistenceLayer,
    )
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = logging.getLogger(__name__)

# The store must answer well inside the function's deadline: short timeouts, one retry.
STORE_CONNECT_TIMEOUT = 1.0
STORE_READ_TIMEOUT = 2.0
STORE_MAX_ATTEMPTS = 2


@dataclass(frozen=True)
class KeyedRequest:
    """What identifies one create: who asks, with which key, and with which body."""

    owner: str
    key: str
    body: dict[str, Any]

    def as_payload(self) -> dict[str, Any]:
        return {"owner": self.owner, "key": self.key, "body": self.body}


def dynamodb_store(table_name: str, region: str) -> BasePersistenceLayer:
    """Powertools' DynamoDB persistence layer for `table_name`, with bounded timeouts."""
    import boto3
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from botocore.config import Config as BotoConfig

    boto_config = BotoConfig(
        region_name=region,
        connect_timeout=STORE_CONNECT_TIMEOUT,
        read_timeout=STORE_READ_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": STORE_MAX_ATTEMPTS},
    )
    client = boto3.session.Session().client("dynamodb", config=boto_config)
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)


class IdempotentCreates:
    """Runs `create` once per `KeyedRequest`; repeats get the first answer (a JSON object)."""

    def __init__(
        self,
        store_factory: Callable[[], BasePersistenceLayer],
        *,
        expires_after_seconds: int,
    ) -> None:
        self._store_factory = store_factory
        self._expires_after_seconds = expires_after_seconds
        self._store: BasePersistenceLayer | None = None

    def run(
        self,
        request: KeyedRequest,
        create: Callable[[], dict[str, Any]],
        context: LambdaContext | None,
    ) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency import (
            IdempotencyConfig,
            idempotent_function,
        )
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
            IdempotencyValidationError,
        )

        if self._store is None:
            self._store = self._store_factory()
        config = IdempotencyConfig(
            event_key_jmespath="[owner, key]",
            payload_validation_jmespath="body",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._expires_after_seconds,
            hash_function="sha256",
        )
        if context is not None:  # in-progress records expire when the invocation would
            config.register_lambda_context(context)

        @idempotent_function(
            data_keyword_argument="request",
            persistence_store=self._store,
            config=config,
            key_prefix="POST /items",
        )
        def create_once(request: dict[str, Any]) -> dict[str, Any]:
            return create()

        try:
            result: dict[str, Any] = create_once(request=request.as_payload())
        except IdempotencyAlreadyInProgressError:
            raise IdempotencyKeyInUse() from None
        except IdempotencyValidationError:
            raise IdempotencyKeyReused() from None
        except IdempotencyPersistenceLayerError as error:
            logger.error("The idempotency store failed: %s", error)
            raise UpstreamUnavailable(
                "The request could not be recorded safely: retry later."
            ) from None
        return result
