"""The run report names each failed check once: the gate's line, else Dagster's check name."""

from dagster_project.cli.run import Outcome


def test_gate_summary_replaces_the_bare_check_names():
    outcome = Outcome(
        run_id="r1",
        published=False,
        failed_checks=["raw/erp_orders:gx_erp_orders"],
        gate_summary="gate: BLOCKED by 1 failed check (0 warnings, 9 passed)\n"
        "  ✗ [erp_orders · gx_erp_orders] channel 'Fax' unknown in auftraege.csv",
    )
    report = outcome.report()
    assert report.startswith("leitstand run r1: BLOCKED")
    assert report.count("gx_erp_orders") == 1
    assert "failed check:" not in report


def test_without_a_gate_summary_the_failed_checks_are_listed():
    outcome = Outcome(run_id="r2", published=False, failed_checks=["marts/kpi_monthly:not_null"])
    assert "  failed check: marts/kpi_monthly:not_null" in outcome.report().splitlines()
