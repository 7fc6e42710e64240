"""Where the CLI writes: `out` (stdout: results) and `err` (stderr: notices and errors), both rich
consoles created on first use (rich costs ~40 ms to import; most invocations print one line)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    def __init__(self, stderr: bool):
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=True)
        return getattr(self._console, name)


def Table(*args: Any, **kwargs: Any) -> Any:
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


out = _LazyConsole(stderr=False)
err = _LazyConsole(stderr=True)


def notice(message: str) -> None:
    err.print(f"[dim]{message}[/dim]")


def problems(lines: list[str]) -> None:
    for line in lines:
        out.print(f"  ! {line}", markup=False, style="yellow")


class Progress:
    """A progress callback(done, total) for long imports: a rich bar on a terminal, else nothing."""

    def __init__(self, what: str, enabled: bool):
        self.what = what
        self.enabled = enabled and bool(err.is_terminal)
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(console=err._console if err._console else None, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.what, total=None)
        return self

    def __call__(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total or None)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
