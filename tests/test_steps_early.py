"""Run steps/step01.py ... step22.py as programs and check what they print.

Each step is self-contained (NumPy only), so each runs in a fresh interpreter,
in an empty working directory, and must exit 0, write no files, and print the
values the step is about.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

STEPS = Path(__file__).resolve().parent.parent / "steps"

COMPOSITE_GRAD = 4 * 0.5 * np.exp(0.5)  # d/dx square(exp(square(x))) at 0.5 = 3.29744...
NUMBER = r"(-?\d+(?:\.\d*)?(?:e[+-]?\d+)?|None)"


def run_step(n, tmp_path):
    env = dict(os.environ, MINIGRAD_QUICK="1", PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, str(STEPS / f"step{n:02d}.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, f"step{n:02d} failed:\n{proc.stdout}\n{proc.stderr}"
    assert list(tmp_path.iterdir()) == [], "a step must not write files"
    return proc.stdout


def values(out, label):
    """Every number printed right after `label` (a literal string), as floats (None for 'None')."""
    found = re.findall(re.escape(label) + r"\s*" + NUMBER, out)
    assert found, f"{label!r} not in output:\n{out}"
    return [None if v == "None" else float(v) for v in found]


def value(out, label):
    return values(out, label)[0]


def check_01(out):
    assert value(out, "x.data =") == 1.0
    assert value(out, "after x.data = np.array(2.0): x.data =") == 2.0
    assert "ndim=2 shape=(2, 2) data=[[1.0, 2.0], [3.0, 4.0]]" in out


def check_02(out):
    assert "Variable holding 100" in out
    assert "does not implement forward()" in out


def check_03(out):
    assert value(out, "a = x ** 2 =") == 0.25
    assert value(out, "b = exp(a) =") == pytest.approx(np.exp(0.25))
    assert value(out, "y = b ** 2 =") == pytest.approx(np.exp(0.5))


def check_04(out):
    assert value(out, "at x=2.0:") == pytest.approx(4.0, abs=1e-9)
    assert value(out, "at x=0.5:") == pytest.approx(3.2974, abs=1e-4)
    assert value(out, "at x=0.5:") == pytest.approx(COMPOSITE_GRAD, rel=1e-6)
    central = value(out, "central difference error:")
    forward = value(out, "forward difference error:")
    assert central < 1e-6 < 1e-4 < forward


def check_05(out):
    assert value(out, "dy/db =") == pytest.approx(2 * np.exp(0.25))
    assert value(out, "dy/dx =") == pytest.approx(COMPOSITE_GRAD, rel=1e-12)
    assert value(out, "numerical dy/dx =") == pytest.approx(COMPOSITE_GRAD, rel=1e-6)


def check_06(out):
    assert value(out, "a.grad =") == pytest.approx(COMPOSITE_GRAD, rel=1e-12)
    assert value(out, "x.grad =") == pytest.approx(COMPOSITE_GRAD, rel=1e-12)


def check_07(out):
    assert "False" not in out and out.count("True") == 7
    assert value(out, "x.grad =") == pytest.approx(COMPOSITE_GRAD, rel=1e-12)


def check_08(out):
    assert value(out, "x.grad =") == pytest.approx(COMPOSITE_GRAD, rel=1e-12)
    assert value(out, "1023 chained squares at x=1: x.grad =") == 2.0 ** 1023


def check_09(out):
    assert value(out, "x.grad =") == pytest.approx(COMPOSITE_GRAD, rel=1e-12)
    assert "type(square(Variable(np.array(1.0))).data) = <class 'numpy.ndarray'>" in out
    assert "Variable(1.0) -> TypeError:" in out and "got float" in out


def check_10(out):
    assert out.count(" ... ok") == 6
    assert re.search(r"^Ran 6 tests", out, re.M)
    assert re.search(r"^OK$", out, re.M)


def check_11(out):
    assert "-> [array(5)]" in out
    assert value(out, "x.grad =") == pytest.approx(COMPOSITE_GRAD, rel=1e-12)


def check_12(out):
    assert value(out, "add(Variable(2), Variable(3)) =") == 5
    assert value(out, "add(square(2.0), square(3.0)) =") == 13


def check_13(out):
    assert value(out, "z =") == 13
    assert value(out, "x.grad =") == 4
    assert value(out, "y.grad =") == 6
    assert value(out, "y = add(x, x): x.grad =") == 1  # the bug step 14 fixes


def check_14(out):
    assert value(out, "y = x + x: x.grad =") == 2
    assert value(out, "y.grad =") == 1  # accumulation must not modify y.grad in place
    assert value(out, "without cleargrad: x.grad =") == 5
    assert value(out, "after cleargrad:   x.grad =") == 3


def check_15(out):
    assert "a: generation 1, created by Square (generation 0)" in out
    assert "y: generation 3, created by Add (generation 2)" in out
    assert value(out, "at x=2: y =") == 32
    assert value(out, "x.grad =") == 96  # the naive order is wrong


def check_16(out):
    assert value(out, "at x=2: y =") == 32
    assert value(out, "x.grad =") == 64
    assert value(out, "y = exp(x**2) + x**2 at x=1: x.grad =") == pytest.approx(2 * (np.e + 1))


def check_17(out):
    assert value(out, "x.grad =") == 64
    strong_mb = value(out, "strong references to outputs:")
    weak_mb = value(out, "weak references to outputs:")
    strong_freed, weak_freed = values(out, "gc.collect() then freed")
    assert strong_mb == pytest.approx(32.0, abs=0.5)  # ten graphs of four 0.8 MB arrays, kept by cycles
    assert strong_freed > 0
    assert weak_mb == 0.0 and weak_freed == 0  # freed by reference counting alone


def check_18(out):
    plain, retained = out.splitlines()[:2]
    assert values(plain, "grad =") == [None, None, 2.0, 1.0]
    assert values(retained, "grad =") == [1.0, 1.0, 2.0, 1.0]
    assert value(out, "with backprop: y.creator is Square, y keeps") == pytest.approx(2.4, abs=0.1)
    assert value(out, "in no_grad(): y.creator is None, y keeps") == pytest.approx(0.8, abs=0.1)
    assert "after the with-block: Config.enable_backprop = True" in out


def check_19(out):
    assert "name: x" in out
    assert "shape: (2, 3) | ndim: 2 | size: 6 | dtype: int64 | len: 2" in out
    assert "variable([[1 2 3]\n          [4 5 6]])" in out
    assert "variable(1.5)" in out and "variable(None)" in out


def check_20(out):
    assert "a=3, b=2, c=1: variable(7.0)" in out
    assert value(out, "a.grad =") == 2 and value(out, "b.grad =") == 3 and value(out, "c.grad =") == 1
    assert "add(mul(a, b), c) is the same: variable(7.0)" in out


def check_21(out):
    assert "x + np.array(3.0) = variable(5.0)" in out
    assert "3.0 * x + 1.0 = variable(7.0)" in out and value(out, "x.grad =") == 3
    assert "np.array([2.0]) + x = variable([4.]) of type Variable" in out
    assert "float32 Variable * 2.0 = variable([3. 5.]) with dtype float32" in out
    assert "int Variable * 2.5 = variable([2.5 7.5]) with dtype float64" in out


def check_22(out):
    expected = {  # at x = 2: value, dy/dx
        "-x": (-2, -1), "x - 1.0": (1, 1), "5.0 - x": (3, -1), "x / 4.0": (0.5, 0.25),
        "3.0 / x": (1.5, -0.75), "x ** 3": (8, 12), "(x**3 - 2*x) / x": (2, 4),
    }
    for text, (y, gx) in expected.items():
        line = re.search(r"^\s*" + re.escape(text) + r"\s*=\s*" + NUMBER + r"\s+dy/dx = " + NUMBER + "$", out, re.M)
        assert line, f"no line for {text!r} in:\n{out}"
        assert (float(line.group(1)), float(line.group(2))) == (y, gx), text


@pytest.mark.parametrize("n", range(1, 23), ids=lambda n: f"step{n:02d}")
def test_step(n, tmp_path):
    out = run_step(n, tmp_path)
    globals()[f"check_{n:02d}"](out)


def test_every_step_is_checked_and_documented():
    readme = (STEPS / "README.md").read_text(encoding="utf-8")
    for n in range(1, 61):
        assert re.search(rf"^\| {n:02d} \|", readme, re.M), f"steps/README.md lacks step {n:02d}"
    for n in range(1, 23):
        source = (STEPS / f"step{n:02d}.py").read_text(encoding="utf-8")
        assert source.startswith(f'"""Step {n:02d}: '), f"step{n:02d}.py must open with its docstring"
        assert "import minigrad" not in source, f"step{n:02d}.py must be self-contained"
