"""The engine switch and what the Spark engine hands over, without starting Spark: the
setting (LEITSTAND_ENGINE, --engine, the run config), the profile a Spark run writes, the
raw layer as Parquet, the two parts of the build. The Spark build itself:
tests/integration/test_spark_engine.py (slow)."""

from __future__ import annotations

import json

import duckdb
import pytest

from dagster_project.cli.main import main
from dagster_project.core.settings import DBT_PROJECT_DIR, ENGINE_ENV, load_settings
from dagster_project.defs.resources import paths_run_config, settings_of_run
from dagster_project.ingest.parquet import PARQUET_FILE, export_raw_parquet
from dagster_project.transform.build import part_args
from dagster_project.transform.engine import CATALOG_OWNER, hand_over_raw
from dagster_project.transform.plan import BuildPlan, descendants
from dagster_project.transform.privacy import VERDICT_MODEL
from dagster_project.transform.profile import profile_text


def test_the_engine_comes_from_the_argument_else_the_environment_else_duckdb(tmp_path):
    assert load_settings(tmp_path, tmp_path, environ={}).engine == "duckdb"
    assert load_settings(tmp_path, tmp_path, environ={ENGINE_ENV: "Spark"}).engine == "spark"
    assert load_settings(tmp_path, tmp_path, environ={ENGINE_ENV: "spark"},
                         engine="duckdb").engine == "duckdb"
    with pytest.raises(ValueError, match="LEITSTAND_ENGINE.*'oracle'.*duckdb, spark"):
        load_settings(tmp_path, tmp_path, environ={ENGINE_ENV: "oracle"})


def test_a_runs_engine_travels_in_its_run_config(tmp_path):
    settings = load_settings(tmp_path, tmp_path, engine="spark")
    assert settings_of_run(paths_run_config(settings)).engine == "spark"


def test_a_spark_run_writes_a_small_local_session_profile(tmp_path):
    text = profile_text(load_settings(tmp_path, tmp_path / "data", engine="spark"))
    assert "type: spark" in text and "method: session" in text
    assert '"spark.master": "local[2]"' in text
    assert '"spark.sql.shuffle.partitions": "2"' in text
    assert '"spark.ui.enabled": "false"' in text
    assert str(tmp_path / "data" / "spark" / "warehouse") in text
    assert "type: duckdb" in profile_text(load_settings(tmp_path, tmp_path / "data"))


def test_the_raw_layer_goes_to_one_parquet_folder_per_source(tmp_path):
    folder = tmp_path / "parquet"
    (folder / "gone").mkdir(parents=True)  # a source no longer in raw
    with duckdb.connect() as con:
        con.execute("create schema raw")
        con.execute("create table raw.orders as select * from (values"
                    " ('A-1', date '2025-03-01', 12.5), ('O''Brien', null, null))"
                    " t(order_id, order_date, net_amount)")
        con.execute("create view raw.empty as select 1 as x where false")
        assert export_raw_parquet(con, folder) == {"empty": 0, "orders": 2}
        back = con.execute(f"select * from read_parquet('{folder}/orders/{PARQUET_FILE}')"
                           " order by 1").fetchall()
        assert back == con.execute("select * from raw.orders order by 1").fetchall()
        types = con.execute(f"describe select * from read_parquet('{folder}/orders/*.parquet')"
                            ).fetchall()
        assert [t[1] for t in types] == ["VARCHAR", "DATE", "DECIMAL(3,1)"]
    assert sorted(p.name for p in folder.iterdir()) == ["empty", "orders"]


def test_a_copied_data_dirs_spark_catalog_is_started_anew(tmp_path):
    settings = load_settings(tmp_path, tmp_path / "copy", engine="spark")
    spark = settings.spark_dir
    (spark / "metastore_db").mkdir(parents=True)
    (spark / "warehouse" / "marts.db").mkdir(parents=True)
    (spark / CATALOG_OWNER).write_text(str(tmp_path / "original" / "spark"))
    with duckdb.connect() as con:
        con.execute("create schema raw")
        hand_over_raw(con, settings)
    assert not (spark / "metastore_db").exists() and not (spark / "warehouse").exists()
    assert (spark / CATALOG_OWNER).read_text() == str(spark.resolve())
    (spark / "warehouse").mkdir()
    with duckdb.connect() as con:
        con.execute("create schema raw")
        hand_over_raw(con, settings)
    assert (spark / "warehouse").exists()  # its own catalog is kept


def test_the_two_parts_of_the_build_split_the_nodes_at_the_verdict():
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"]
    fqn = {uid: "fqn:" + ".".join(nodes[uid]["fqn"]) for uid in nodes}
    second = descendants(manifest, [f"model.leitstand.{VERDICT_MODEL}"])
    full = BuildPlan("everything")
    left_out = [set(part_args(full, manifest, part)[1].split()) for part in (1, 2)]
    built = [{uid for uid in nodes if fqn[uid] not in out} for out in left_out]
    assert built[0] | built[1] == set(nodes) and not built[0] & built[1]
    assert built[1] == second & set(nodes)
    assert "model.leitstand.int_privacy_cells_unioned" in built[0]
    assert {"model.leitstand.kpi_monthly", "model.leitstand.audit_privacy_cells"} <= built[1]
    # a test of models of both parts runs in the second
    both = [uid for uid in nodes if uid.startswith("test.")
            and {"model.leitstand.int_privacy_cells_unioned",
                 "model.leitstand.audit_privacy_cells"} <= set(nodes[uid]["depends_on"]["nodes"])]
    assert both and set(both) <= built[1]


@pytest.mark.parametrize("command", [["run", "--no-dashboards"], ["status"], ["query", "select 1"],
                                     ["report"], ["serve"]])
def test_an_unknown_engine_is_one_clear_line_for_every_command(command, tmp_path, monkeypatch,
                                                               capsys):
    """Not a traceback: the setting, the value and what to choose instead (exit 2)."""
    monkeypatch.setenv(ENGINE_ENV, "sparc")
    assert main([*command, "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"leitstand {command[0]}: {ENGINE_ENV}/--engine: unknown engine 'sparc'" in err
    assert "duckdb, spark" in err and "Traceback" not in err
