"""The short block `leitstand run` prints: blocked or passed, then one line per failed check.

An analyst should see at a glance why a run was blocked and what to fix; every message
already says what, where and how, so the summary orders them (blocking first) and stops
listing what passed.
"""

from __future__ import annotations

from dagster_project.gate.results import ERROR, GateResult


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summarise(results: list[GateResult]) -> str:
    """`gate: BLOCKED by 2 checks …` followed by one indented line per failed check."""
    if not results:
        return "gate: no checks ran"
    errors = [r for r in results if r.blocks]
    warnings = [r for r in results if not r.passed and r.severity != ERROR]
    passed = sum(r.passed for r in results)
    counts = f"{_plural(len(warnings), 'warning')}, {passed} passed"
    head = (
        f"gate: BLOCKED by {_plural(len(errors), 'failed check')} ({counts})"
        if errors
        else f"gate: passed ({counts})"
    )
    lines = [head]
    for r in sorted(errors, key=lambda r: (r.source_or_table, r.check_name)):
        lines.append(f"  ✗ [{r.source_or_table} · {r.check_name}] {r.message}")
    for r in sorted(warnings, key=lambda r: (r.source_or_table, r.check_name)):
        lines.append(f"  ! [{r.source_or_table} · {r.check_name}] {r.message}")
    return "\n".join(lines)
