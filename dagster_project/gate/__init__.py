"""The quality gate: GX suites from `expectations/`, SQL rules, their results and summary.

It decides; `defs/checks.py` turns its verdicts into Dagster's blocking asset checks.
"""
