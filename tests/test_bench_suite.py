"""benchmarks/suite.py runs end to end with a tiny budget and writes the JSON it promises.

No timings are asserted (the machine is shared and noisy): only that every (framework, case) ran in
its own process, imported no other framework, and reported the fields the table is built from.
"""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = os.path.join(ROOT, "benchmarks", "suite.py")
TINY = ["--rounds", "1", "--repeat", "1", "--sample-s", "0", "--warmup-s", "0", "--memory-steps", "0",
        "--quiet-wait", "0", "--retries", "0"]


def _run_suite(tmp_path, frameworks, cases):
    out = tmp_path / "suite.json"
    proc = subprocess.run([sys.executable, SUITE, "--frameworks", frameworks, "--cases", cases,
                           "--json", str(out), *TINY], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text()), proc.stdout


def _check_case(summary, case, framework):
    entry = summary["cases"][case]
    assert entry["flops"] > 0 and entry["target"] > 0
    assert entry["limit_ms"] == pytest.approx(entry["flops"] / summary["sgemm"]["gflops_median"] / 1e6)
    res = entry["results"][framework]
    assert "error" not in res, res
    assert res["median_ms"] > 0 and len(res["round_medians_ms"]) == 1
    assert res["peak_rss_mib"] > 10 and res["rss_end_mib"] > 10
    assert res["foreign"] == []  # the worker imported its own framework only


def test_suite_minigrad_alone(tmp_path):
    summary, table = _run_suite(tmp_path, "minigrad", "lenet_b1,chain")
    assert summary["sgemm"]["gflops_median"] > 0
    assert set(summary["cases"]) == {"lenet_b1", "chain"}
    for case in ("lenet_b1", "chain"):
        _check_case(summary, case, "minigrad")
        assert "ratio" not in summary["cases"][case]  # no PyTorch, no ratio
    runs = [r for r in summary["runs"] if r["framework"] == "minigrad"]
    assert {r["case"] for r in runs} == {"lenet_b1", "chain"}
    assert all(r["versions"]["numpy"] and "minigrad" in r["versions"] for r in runs)
    assert all(r["foreign_cores"] >= 0 and r["attempts"] == 1 for r in runs)
    assert "| LeNet train step, batch 1 |" in table and "≤ 0.8" in table


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")
def test_suite_ratio_against_pytorch(tmp_path):
    summary, table = _run_suite(tmp_path, "minigrad,pytorch", "chain")
    _check_case(summary, "chain", "pytorch")
    entry = summary["cases"]["chain"]
    mg, pt = entry["results"]["minigrad"]["median_ms"], entry["results"]["pytorch"]["median_ms"]
    assert entry["ratio"] == pytest.approx(mg / pt)
    assert "minigrad / PyTorch" in table


def test_worker_memory_run(tmp_path):
    proc = subprocess.run([sys.executable, SUITE, "--worker", "minigrad", "lenet_b1", "--memory-run", "100"],
                          capture_output=True, text=True, timeout=60)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("SUITE-RESULT ")][-1]
    rec = json.loads(line.split(" ", 1)[1])
    assert sorted(rec["rss_mib_at_step"], key=int) == ["20", "25", "50", "75", "100"]
    assert rec["rss_growth_mib"] == pytest.approx(rec["rss_mib_at_step"]["100"] - rec["rss_mib_at_step"]["20"])


def test_unknown_case_is_refused():
    proc = subprocess.run([sys.executable, SUITE, "--cases", "lenet_b100,nope"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "nope" in proc.stderr
