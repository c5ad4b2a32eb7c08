"""What a deployment chooses through CDK context (`cdk synth -c key=value` or cdk.json).

| key                 | default                       | meaning                              |
|---------------------|-------------------------------|--------------------------------------|
| `stage`             | `dev`                         | names the stack `TodoApp-<stage>`    |
| `corsOrigin`        | `*` for dev, required for     | the one origin browsers may call     |
|                     | every other stage             | from (`*` is refused outside dev)    |
| `apiGatewayAccount` | `true`                        | this stack sets the region's API     |
|                     |                               | Gateway CloudWatch role (one per     |
|                     |                               | account and region: `false` on every |
|                     |                               | other stack in the same region)      |

A bad value stops the synth with a message naming the key.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from stacks.constants import (
    CONTEXT_API_GATEWAY_ACCOUNT,
    CONTEXT_CORS_ORIGIN,
    CONTEXT_STAGE,
    DEFAULT_STAGE,
)

ANY_ORIGIN = "*"
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class SettingsError(ValueError):
    """A context value no deployment should get."""


@dataclass(frozen=True)
class StageSettings:
    stage: str
    cors_origin: str
    manage_api_gateway_account: bool


def settings_from_context(context: dict[str, Any]) -> StageSettings:
    """Read and check the context values (CLI values arrive as strings)."""
    stage = str(context.get(CONTEXT_STAGE) or DEFAULT_STAGE)
    return StageSettings(
        stage=stage,
        cors_origin=_cors_origin(stage, context.get(CONTEXT_CORS_ORIGIN)),
        manage_api_gateway_account=_flag(context.get(CONTEXT_API_GATEWAY_ACCOUNT), default=True),
    )


def _cors_origin(stage: str, value: Any) -> str:
    if value is None or value == "":
        if stage == DEFAULT_STAGE:
            return ANY_ORIGIN
        raise SettingsError(
            f"Stage {stage!r} needs the origin browsers call it from: "
            f"-c {CONTEXT_CORS_ORIGIN}=https://app.example.com"
        )
    origin = str(value).strip()
    if origin == ANY_ORIGIN:
        if stage != DEFAULT_STAGE:
            raise SettingsError(
                f"{CONTEXT_CORS_ORIGIN}='*' is for the {DEFAULT_STAGE} stage only; "
                f"stage {stage!r} needs an https origin."
            )
        return origin
    parts = urlsplit(origin)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path or parts.query:
        raise SettingsError(
            f"{CONTEXT_CORS_ORIGIN} must be an origin like https://app.example.com "
            f"(scheme and host, no path), got {origin!r}."
        )
    return origin


def _flag(value: Any, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(f"{CONTEXT_API_GATEWAY_ACCOUNT} must be true or false, got {value!r}.")
