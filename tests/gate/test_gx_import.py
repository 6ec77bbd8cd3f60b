"""Great Expectations imported with altair and scipy.stats deferred (gate/gx_import.py):
neither is loaded by the import, and an expectation that needs scipy still works."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Run in a process of its own: this one may have imported GX (and scipy) already.
SCRIPT = textwrap.dedent(
    """
    import json, sys, types
    import pandas as pd
    from dagster_project.gate.gx_import import DEFERRED_MODULES, import_gx
    from dagster_project.gate.gx_runner import _validate
    from dagster_project.gate.suites import load_suite

    def loaded():
        return {n: type(sys.modules.get(n)) is types.ModuleType for n in DEFERRED_MODULES}

    import_gx()
    after_import = loaded()
    suite = load_suite(sys.argv[1])
    uniform = pd.DataFrame({"x": [0.25, 0.75, 1.25, 1.75] * 25})
    lopsided = pd.DataFrame({"x": [0.5] * 99 + [1.5]})
    verdicts = [_validate(frame, suite.expectations, {})[0].success
                for frame in (uniform, lopsided)]
    print(json.dumps({"after_import": after_import, "verdicts": verdicts,
                      "after_kl_rule": loaded()}))
    """
)

KL_SUITE = {
    "name": "marts.example",
    "expectations": [{
        "type": "expect_column_kl_divergence_to_be_less_than",
        "kwargs": {"column": "x", "threshold": 0.1,
                   "partition_object": {"bins": [0, 1, 2], "weights": [0.5, 0.5]}},
        "meta": {"name": "x_spread_evenly"},
    }],
}


def test_gx_imports_without_altair_and_scipy_stats_and_loads_them_when_used(tmp_path):
    suite = tmp_path / "marts.example.json"
    suite.write_text(json.dumps(KL_SUITE), encoding="utf-8")
    # a script file, as `leitstand run` is: under `python -c` pyspark (imported by GX once
    # installed) takes the process for a doctest run and exits it with 0
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(suite)], capture_output=True,
                          text=True, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["after_import"] == {"altair": False, "scipy.stats": False}
    # the KL divergence (scipy.stats) tells an even spread from a lopsided one
    assert seen["verdicts"] == [True, False]
    assert seen["after_kl_rule"]["scipy.stats"] is True
