"""The alert rules without a pipeline run: a small published fixture, a real SMTP server.

What turns an alert (first publication: none; amber → red yes; red → amber no), who gets it
(a unit's subtree), a mail server that is down (the run goes on; delivered once it is up,
and only once), the outbox without SMTP, and a bad `alerts.csv` named by row and column.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from dagster_project.cli.status import collect_status, render
from dagster_project.core.settings import load_settings
from dagster_project.report.alerts import (
    Published,
    evaluate_run,
    recipients,
    status_events,
)
from dagster_project.report.subscribers import Subscription, read_subscriptions
from tests.browser.published_fixture import write_published_fixture

from .conftest import free_port

A, B, C = "a@firma.example", "b@firma.example", "c@firma.example"


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("pub") / "leitstand.duckdb"
    write_published_fixture(db)
    return db


@pytest.fixture
def setup(fixture_db, tmp_path):
    """A data dir holding the fixture as its publication, a sources folder with alerts.csv."""
    data, sources = tmp_path / "data", tmp_path / "sources"
    (sources / "config").mkdir(parents=True)
    data.mkdir()
    shutil.copy(fixture_db, data / "leitstand.duckdb")
    settings = load_settings(sources, data)
    with duckdb.connect(str(fixture_db), read_only=True) as con:
        run_id = con.execute("select run_id from meta.publication "
                             "order by published_at desc").fetchone()[0]
        red = con.execute("""
            select s.org_unit_id, u.path from marts.kpi_status s join marts.org_units u
            using (org_unit_id) where s.status = 'red' and u.depth > 0
            order by u.depth desc, s.org_unit_id limit 1""").fetchone()
        other = con.execute("""
            select o.org_unit_id from marts.org_units o where o.depth > 0
            and not starts_with(?, o.path) and not exists (
                select 1 from marts.kpi_status s join marts.org_units u using (org_unit_id)
                where s.status in ('red', 'amber') and starts_with(u.path, o.path))
            order by o.depth, 1 limit 1""", [red[1]]).fetchone()[0]
    (sources / "config" / "alerts.csv").write_text(
        f"address,org_unit_id,events\n{A},,red;blocked\n{B},{red[0]},red\n{C},{other},red\n",
        encoding="utf-8")
    return settings, run_id, red[0]


def _first_then_all_green(settings, run_id, environ):
    """The first evaluation (nothing to compare with), then a snapshot where every cell was
    green, as if the previous publication had been all on track."""
    first = evaluate_run(settings, run_id, environ=environ)
    assert first.events == [] and first.delivered == []
    path = settings.data_dir / "alerts" / "state.json"
    state = json.loads(path.read_text())
    state["snapshot"] = {"run_id": "before", "cells": {
        k: "green" for k in state["snapshot"]["cells"]}}
    path.write_text(json.dumps(state))


def test_a_mail_server_that_is_down_fails_nothing_and_gets_the_mail_once_it_is_up(
        setup, smtp_server):
    settings, run_id, red_unit = setup
    down = {**smtp_server.env(), "LEITSTAND_SMTP_PORT": str(free_port())}
    _first_then_all_green(settings, run_id, down)

    failed = evaluate_run(settings, run_id, environ=down)
    assert failed.events and failed.failed and not failed.delivered
    assert "retried after the next run" in failed.summary()
    text = render(collect_status(settings, with_dagster=False))
    assert "failed" in text and "still to reach" in text

    up = evaluate_run(settings, run_id, environ=smtp_server.env())
    assert up.events == []  # nothing new: the same publication
    assert sorted(up.delivered) == [A, B]  # C follows another branch: no red cell there
    assert len(smtp_server.to(A)) == len(smtp_server.to(B)) == 1
    assert smtp_server.to(C) == []
    assert "jetzt rot" in smtp_server.to(B)[0].text

    evaluate_run(settings, run_id, environ=smtp_server.env())
    assert len(smtp_server.received) == 2  # never twice


def test_without_smtp_the_mails_go_to_the_outbox_and_status_says_so(setup):
    settings, run_id, _ = setup
    _first_then_all_green(settings, run_id, {})
    outcome = evaluate_run(settings, run_id, environ={})
    assert outcome.mode == "outbox" and sorted(outcome.delivered) == [A, B]
    files = sorted((settings.data_dir / "outbox").glob("*.eml"))
    assert len(files) == 2
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)  # the owner's only
    assert "Kennzahlen rot oder gelb geworden" in files[0].read_text(encoding="utf-8",
                                                                    errors="replace")
    text = render(collect_status(settings, with_dagster=False))
    assert "no SMTP server configured" in text and "(2 there)" in text


def _published(cells: dict[str, str], run_id: str) -> Published:
    rows = {k: {"status": v, "kpi_id": k.split("\t")[0], "org_unit_id": k.split("\t")[1],
                "name_de": "K", "unit": "share", "unit_name": "U", "month": None,
                "value": 0.5, "expected_value": 0.6, "target_value": 0.7, "target_date": None}
            for k, v in cells.items()}
    return Published({run_id}, run_id, None, rows, {})


def test_what_counts_as_turned_red_or_amber():
    state: dict = {}
    first = _published({"k\tX": "red"}, "r1")
    assert status_events(first, state, "r1") == []  # the first publication sends none
    second = _published({"k\tX": "red", "k\tY": "red", "k\tZ": "amber", "k\tW": "amber",
                         "k\tV": "green"}, "r2")
    state["snapshot"]["cells"].update({"k\tY": "amber", "k\tZ": "red", "k\tW": "no_target",
                                       "k\tV": "red"})
    turned = {e.org_unit_id: e.data["status"] for e in status_events(second, state, "r2")}
    # red stays red: no; amber → red: yes; red → amber: better, no; no target → amber: yes
    assert turned == {"Y": "red", "W": "amber"}
    assert status_events(second, state, "r2") == []  # the same publication again


def test_a_units_subscribers_get_its_subtree():
    units = {"R": {"path": "R"}, "S": {"path": "R/S"}, "T": {"path": "R/S/T"},
             "U": {"path": "R/U"}}
    subs = [Subscription(A, None, frozenset({"red"}), False, 2),
            Subscription(B, "S", frozenset({"red"}), False, 3),
            Subscription(C, "U", frozenset({"red", "blocked"}), False, 4)]
    from dagster_project.report.alerts import Event

    red_t = Event("k", "red", "r", "now", org_unit_id="T")
    assert recipients(red_t, subs, units) == [A, B]
    blocked = Event("b", "blocked", "r", "now")
    assert recipients(blocked, subs, units) == [C]


def test_a_bad_alerts_file_is_named_by_row_and_column_and_the_good_rows_stay(tmp_path):
    path = tmp_path / "alerts.csv"
    path.write_text("address;org_unit_id;events;attach_report\n"
                    f"{A};;red;blocked;ja\n"
                    "kein-at-zeichen;;red;\n"
                    f"{B};;rot;\n"
                    f"{C};X;stale;vielleicht\n", encoding="utf-8")
    subs, problems = read_subscriptions(path)
    assert [(s.address, sorted(s.events), s.attach_report) for s in subs] == [
        (A, ["blocked", "red"], True)]
    assert problems[0].startswith("config/alerts.csv row 3, column address: 'kein-at-zeichen'")
    assert problems[1].startswith("config/alerts.csv row 4, column events: 'rot'")
    assert problems[2].startswith("config/alerts.csv row 5, column attach_report")
    path.write_text("adresse;events\nx@y.z;red\n", encoding="utf-8")
    assert "column(s) address, org_unit_id missing" in read_subscriptions(path)[1][0]


def test_a_blocked_run_is_told_once_per_reason_and_the_dagster_sensor_tells_it(setup):
    """A run that published nothing (here: a run id the publication does not know), seen by
    the failure sensor's function with the run's config, as the daemon would hand it over."""
    import dagster as dg

    from dagster_project.defs.alerts import alert_for_run
    from dagster_project.defs.resources import paths_run_config

    settings, _, _ = setup
    with dg.DagsterInstance.ephemeral() as instance:
        for run_id in ("blocked-1", "blocked-2"):
            run = dg.DagsterRun(job_name="leitstand", run_id=run_id,
                                run_config=paths_run_config(settings),
                                status=dg.DagsterRunStatus.FAILURE)
            summary = alert_for_run(instance, run)
            outbox = sorted((settings.data_dir / "outbox").glob("*.eml"))
            assert len(outbox) == 1, summary  # the second run, blocked alike: nothing new
    mail = outbox[0].read_bytes().decode("utf-8", errors="replace")
    assert "Lauf blockiert" in mail and "blocked-1" in mail
