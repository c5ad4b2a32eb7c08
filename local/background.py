"""Run the local stack on a background event loop, for tests and benchmarks in one process.

stack = BackgroundStack(Settings(cdk_out=Path("cdk.out"), stack_name="MyApp-dev"))
stack.outputs["RestApiUrl"]  # ... talk to it over HTTP ...
stack.close()
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from local.stack import LocalStack, Settings

T = TypeVar("T")


class BackgroundStack:
    def __init__(self, settings: Settings, start_timeout: float = 120) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.stack = LocalStack(settings)
        started = time.perf_counter()
        try:
            self.outputs: dict[str, str] = self.run(self.stack.start(), start_timeout)
        except BaseException:
            self.close()
            raise
        self.start_seconds = time.perf_counter() - started

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run a coroutine on the stack's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def close(self) -> None:
        if self._thread.is_alive():
            self.run(self.stack.stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
