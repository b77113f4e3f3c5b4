"""One line of the doctor's report: what was checked, ok / warning / problem, what to do."""

from __future__ import annotations

from dataclasses import dataclass

OK, WARNING, PROBLEM = "ok", "warning", "problem"


@dataclass(frozen=True)
class Check:
    name: str
    level: str
    text: str

    def line(self) -> str:
        return f"{self.level:<8} {self.name}: {self.text}"


def report(checks: list[Check]) -> tuple[str, int]:
    """The lines to print, and the exit code: 1 if anything is a problem."""
    return "\n".join(check.line() for check in checks), int(
        any(check.level == PROBLEM for check in checks)
    )


def short_status(checks: list[Check]) -> str:
    """For /status in the staff group: one line each, the level as a sign."""
    signs = {OK: "✓", WARNING: "⚠️", PROBLEM: "❌"}
    return "\n".join(f"{signs[c.level]} {c.name}: {c.text}" for c in checks)
