"""The shape every benchmark returns, and the report `make bench` prints."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Measurement:
    """One measured figure. `target` is a human sentence such as "<= 25 ms"; `met` says if it was."""

    section: str
    name: str
    value: float
    unit: str
    target: str | None = None
    met: bool | None = None
    note: str = ""
    details: dict[str, float | str] = field(default_factory=dict)
