"""The Powertools Tracer, without loading the X-Ray SDK where nothing is traced.

`Tracer()` imports `aws_xray_sdk.core` even when tracing is disabled. Outside Lambda that
import builds a botocore client for centralized sampling (measured here: +330 ms over a bare
interpreter); inside Lambda the SDK uses a local sampler and costs a few milliseconds. So where
tracing is off (locally, in tests, POWERTOOLS_TRACE_DISABLED=true) the Tracer gets a
do-nothing provider and the SDK is never imported; where it is on (Lambda with active tracing)
the real SDK is used and only `requests` is patched, not every library it knows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment


class _NoOpSegment(BaseSegment):
    def close(self, end_time: int | None = None) -> None:
        return None

    def add_subsegment(self, subsegment: Any) -> None:
        return None

    def remove_subsegment(self, subsegment: Any) -> None:
        return None

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        return None


class NoOpProvider(BaseProvider):
    """A tracing provider that records nothing and imports nothing."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        yield _NoOpSegment()

    @asynccontextmanager
    async def in_subsegment_async(
        self, name: str | None = None, **kwargs: Any
    ) -> AsyncIterator[BaseSegment]:
        yield _NoOpSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def patch(self, modules: Sequence[str]) -> None:
        return None

    def patch_all(self) -> None:
        return None


def build_tracer(service: str, *, enabled: bool) -> Tracer:
    if enabled:
        return Tracer(service=service, patch_modules=["requests"])
    return Tracer(service=service, provider=NoOpProvider(), disabled=False, auto_patch=False)
