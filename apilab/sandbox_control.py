"""Start and stop the practice API for the app, falling back to a free port when 8000 is taken.

No Textual here. `start()` and `stop()` block (up to the sandbox's start timeout), so the app
calls them from a thread worker and shows the `SandboxState` they return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from apilab.ports import SANDBOX_PORT
from apilab.sandbox_process import SandboxError, SandboxProcess

DEFAULT_PORT = SANDBOX_PORT
SandboxPhase = Literal["off", "starting", "running", "failed"]


@dataclass(frozen=True)
class SandboxState:
    phase: SandboxPhase = "off"
    url: str | None = None
    healthy: bool = False
    message: str = ""  # what went wrong, or a note such as "port 8000 was busy"
    labs: tuple[str, ...] = ()  # the labs switched on: vulnerable on purpose

    @property
    def label(self) -> str:
        """One line for the status panels."""
        if self.phase == "running":
            health = "healthy" if self.healthy else "not answering /health"
            return f"running at {self.url} ({health})"
        if self.phase == "starting":
            return "starting…"
        if self.phase == "failed":
            return "could not start"
        return "not running"


class SandboxControl:
    """The app's handle on its sandbox, whether given one or creating it on demand."""

    def __init__(self, sandbox: SandboxProcess | None = None, *, fallback: bool = True,
                 factory: Callable[[int | None, tuple[str, ...]], SandboxProcess] | None = None,
                 ) -> None:
        self.sandbox = sandbox
        self.fallback = fallback  # try a free port when the chosen one is taken
        self._factory = factory or (lambda port, labs: SandboxProcess(port=port, labs=labs))

    @property
    def labs(self) -> tuple[str, ...]:
        return self.sandbox.labs if self.sandbox is not None else ()

    def start(self) -> SandboxState:
        """Start the sandbox (on port 8000 unless it was given one) and say how it went."""
        sandbox = self.sandbox or self._factory(DEFAULT_PORT, ())
        self.sandbox = sandbox
        labs = sandbox.labs
        try:
            sandbox.start()
            return SandboxState("running", sandbox.url, healthy=True, labs=labs)
        except SandboxError as exc:
            first_problem = str(exc)
            if not (self.fallback and "already in use" in first_problem):
                return SandboxState("failed", sandbox.url, message=first_problem, labs=labs)
        replacement = self._factory(None, labs)
        try:
            replacement.start()
        except SandboxError as exc:
            return SandboxState("failed", replacement.url, message=str(exc), labs=labs)
        self.sandbox = replacement
        return SandboxState("running", replacement.url, healthy=True, labs=labs,
                            message=f"Port {sandbox.port} was busy (another program has it), so "
                                    f"the sandbox runs at {replacement.url}. Notebooks opened "
                                    "from here use that address.")

    def stop(self) -> SandboxState:
        if self.sandbox is not None:
            self.sandbox.stop()
        return SandboxState("off", self.sandbox.url if self.sandbox else None)

    def restart_with(self, labs: tuple[str, ...]) -> SandboxState:
        """Stop the sandbox and start it again, on the same port, with exactly these labs
        switched on (none: the plain practice API)."""
        port = self.sandbox.port if self.sandbox is not None else DEFAULT_PORT
        self.stop()
        self.sandbox = self._factory(port, labs)
        return self.start()

    def check(self, current: SandboxState) -> SandboxState:
        """The current state with its health freshly checked (a blocking HTTP call)."""
        if current.phase != "running" or self.sandbox is None:
            return current
        healthy = self.sandbox.healthy()
        return SandboxState("running", current.url, healthy=healthy, message=current.message,
                            labs=current.labs)
