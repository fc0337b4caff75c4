"""Run steps/step23.py ... step60.py as programs and check what they print.

From step 23 on each step is a program that imports the minigrad package. Each runs in a fresh
interpreter with MINIGRAD_QUICK=1 (short training), in an empty working directory that only the drawing
steps may write to, and must exit 0 and print the values the step is about.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

STEPS = Path(__file__).resolve().parent.parent / "steps"
NUMBER = r"(-?\d+(?:\.\d*)?(?:e[+-]?\d+)?)"
HAVE_DOT = shutil.which("dot") is not None
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Steps that draw, and the files they must leave in the working directory (PNGs only with Graphviz).
WRITES = {25: ["sample.dot", "graph.dot"], 26: ["goldstein.dot"], 34: [], 35: ["tanh.dot"]}
PNGS = {25: ["sample.png", "graph.png"], 26: ["goldstein.png"], 35: ["tanh.png"]}


def _has_module(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def run_step(n, tmp_path):
    env = dict(os.environ, MINIGRAD_QUICK="1", PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    before = set(os.listdir(STEPS))
    proc = subprocess.run([sys.executable, str(STEPS / f"step{n:02d}.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"step{n:02d} failed:\n{proc.stdout}\n{proc.stderr}"
    assert set(os.listdir(STEPS)) == before, "a step must not write next to its source"
    if n not in WRITES:
        assert list(tmp_path.iterdir()) == [], "only the drawing steps may write files"
    return proc.stdout


def values(out, label):
    """Every number printed right after `label` (a literal string), as floats."""
    found = re.findall(re.escape(label) + r"\s*" + NUMBER, out)
    assert found, f"{label!r} not in output:\n{out}"
    return [float(v) for v in found]


def value(out, label):
    return values(out, label)[0]


def floats(text):
    return [float(v) for v in re.findall(NUMBER, text)]


def line_with(out, start):
    lines = [line for line in out.splitlines() if line.startswith(start)]
    assert lines, f"no line starting with {start!r} in:\n{out}"
    return lines[0]


def newton_iterates(n=6):
    """Newton's method on f(x) = x^4 - 2x^2 from x = 2, in plain floats."""
    xs = [2.0]
    for _ in range(n - 1):
        x = xs[-1]
        xs.append(x - (4 * x ** 3 - 4 * x) / (12 * x ** 2 - 4))
    return xs


def check_png(path):
    assert path.is_file(), f"{path.name} was not written"
    assert path.read_bytes()[:8] == PNG_MAGIC, f"{path.name} is not a PNG"


def check_23(out, tmp_path):
    assert "Variable comes from minigrad.core_simple\n" in out
    assert "minigrad.is_simple_core: False  minigrad.Variable comes from minigrad.core\n" in out
    assert value(out, "at x = 1: y =") == 16 and value(out, "x.grad =") == 8
    assert "x.grad is a plain numpy.ndarray" in out  # the simple core's gradients are arrays
    line = line_with(out, "y = 2x^3 - x/4")
    assert floats(line.split("x.grad =")[1]) == [5.75, 23.75, 53.75]  # 6x^2 - 1/4


def check_24(out, tmp_path):
    expected = {"sphere": (2, 2, 2), "matyas": (0.04, 0.04, 0.04), "goldstein": (1876, -5376, 8064)}
    for name, (z, gx, gy) in expected.items():
        line = line_with(out, name)
        assert value(line, "z =") == pytest.approx(z)
        assert value(line, "dz/dx =") == pytest.approx(gx)
        assert value(line, "dz/dy =") == pytest.approx(gy)


def check_25(out, tmp_path):
    sample = (tmp_path / "sample.dot").read_text()
    assert "x -> f" in sample and 'label="Exp"' in sample
    graph = (tmp_path / "graph.dot").read_text()
    assert graph.startswith("digraph g {")
    assert 'label="Add"' in graph and 'label="Mul"' in graph and 'label="x"' in graph
    assert "nodes: 5  edges: 6" in out  # y, Add, x*x, x, Mul; Mul gets x twice
    assert "0 [label=\"y\"" in out  # ids renumbered: the printed DOT text is the same on every run


def check_26(out, tmp_path):
    text = (tmp_path / "goldstein.dot").read_text()
    n_funcs = text.count("shape=box")
    assert value(out, "the graph of goldstein(x, y):") == n_funcs > 30
    assert '"x: () float64"' in text and 'label="z: () float64"' in text
    assert "verbose labels show shape and dtype: \"x: () float64\"" in out


def check_27(out, tmp_path):
    r = np.sqrt(0.5)
    assert value(out, "Sin at pi/4:      y =") == pytest.approx(r, abs=1e-10)
    assert value(out, "dy/dx =") == pytest.approx(r, abs=1e-10)
    coarse = line_with(out, "my_sin (threshold 0.0001")
    assert value(coarse, "0.0001,") == 4  # terms
    assert value(coarse, "y =") == pytest.approx(r, abs=1e-6)
    assert value(coarse, "y =") != pytest.approx(r, abs=1e-8)  # 4 terms are not exact
    fine = line_with(out, "my_sin (threshold 1e-150")
    assert value(fine, "y =") == pytest.approx(r, abs=1e-10)
    assert value(fine, "dy/dx =") == pytest.approx(r, abs=1e-10)


def check_28(out, tmp_path):
    rows = re.findall(r"^iter\s+(\d+): x0 = (\S+)\s+x1 = (\S+)\s+y = (\S+)$", out, re.M)
    assert [int(r[0]) for r in rows] == [0, 500, 1000, 1500, 2000]
    x0s, x1s, ys = ([float(r[i]) for r in rows] for i in (1, 2, 3))
    assert (x0s[0], x1s[0], ys[0]) == (0.0, 2.0, 401.0)
    assert x0s[2] == pytest.approx(0.683712, abs=1e-5) and x1s[2] == pytest.approx(0.465953, abs=1e-5)
    assert all(a > b for a, b in zip(ys, ys[1:]))  # descending the valley towards (1, 1)
    assert ys[-1] < 0.05 and 0.8 < x0s[-1] < 1 and 0.6 < x1s[-1] < 1


def _check_newton(out):
    xs = [float(v) for v in re.findall(r"^iter \d: x = " + NUMBER + "$", out, re.M)]
    assert len(xs) == 10
    assert xs[:6] == pytest.approx(newton_iterates(6), abs=1e-9)
    assert xs[1] == pytest.approx(1.4545454545, abs=1e-9) and xs[2] == pytest.approx(1.1510467894, abs=1e-9)
    assert xs[-1] == 1.0


def check_29(out, tmp_path):
    _check_newton(out)


def check_30(out, tmp_path):
    assert "Cube.backward got gy of type Variable, input x of type Variable" in out
    assert "returns gx of type Variable" in out
    assert value(out, "x.grad is a Variable holding") == 12
    assert value(out, "y.grad (the seed) is a Variable holding") == 1


def check_31(out, tmp_path):
    assert value(out, "dy/dx =") == pytest.approx(np.cos(1) + np.sin(1), abs=1e-6)
    assert "gx.creator = Add" in out
    funcs = line_with(out, "Functions in the graph of gx:")
    assert "'Cos'" in funcs and "'Sin'" in funcs and funcs.count("'Mul'") == 3


def check_32(out, tmp_path):
    assert re.search(r"^backward\(\):\s+gx = 12.0\s+gx.creator = None$", out, re.M)
    assert re.search(r"^backward\(create_graph=True\): gx = 12.0\s+gx.creator = Mul$", out, re.M)
    assert value(out, "d2y/dx2 =") == 12


def check_33(out, tmp_path):
    assert value(out, "f'(x) =") == 24 and value(out, "f''(x) =") == 44  # 4x^3 - 4x, 12x^2 - 4
    _check_newton(out)


def check_34(out, tmp_path):
    assert value(out, "sin(1)    =") == pytest.approx(np.sin(1), abs=1e-6)
    derivatives = [value(out, f"d^{n}/dx^{n} =") for n in range(1, 5)]
    assert derivatives == pytest.approx([np.cos(1), -np.sin(1), -np.cos(1), np.sin(1)], abs=1e-6)
    assert "the 3rd derivative equals -cos(x): True" in out
    if _has_module("matplotlib"):
        check_png(tmp_path / "sin_derivatives.png")
    else:
        assert "matplotlib is not installed" in out


def check_35(out, tmp_path):
    counts = [value(out, f"derivative {n}:") for n in range(1, 7)]
    assert counts[0] == 2  # Tanh, TanhGrad
    assert all(b > 2 * a for a, b in zip(counts, counts[1:]))  # the graph grows quickly
    t = np.tanh(1.0)
    assert value(out, "derivative 2 of tanh at x = 1:") == pytest.approx(-2 * t * (1 - t * t), abs=1e-6)
    text = (tmp_path / "tanh.dot").read_text()
    assert text.startswith("digraph g {") and 'label="gx2"' in text and 'label="TanhGrad"' in text
    assert text.count("shape=box") == counts[1]


def check_36(out, tmp_path):
    assert value(out, "z =") == 68 and value(out, "dz/dx =") == 100
    assert value(out, "||grad||^2 =") == 153  # 9 * (1 + 16)
    assert floats(out.split("its gradient =")[1]) == [36, 288]  # 36 x^3


def check_37(out, tmp_path):
    assert value(out, "y = sum(t) =") == 231
    assert "x.grad = [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]  shape (2, 3)" in out
    assert "c.grad = [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]  shape (2, 3)" in out
    assert "matches cos(x) * x + sin(x): True" in out


def check_38(out, tmp_path):
    assert "F.reshape(x, (6,)) = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  x.grad shape (2, 3)" in out
    assert "F.transpose(x) = [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]  x.grad shape (2, 3)" in out
    assert "x.T.shape = (3, 2)" in out and "x.reshape(3, 2).shape = (3, 2)" in out
    assert "-> (2, 1, 4, 3)  a.grad shape (1, 2, 3, 4)" in out
    assert "a.grad is the weights moved back: True" in out


def check_39(out, tmp_path):
    assert "sum(x, axis=0) = [5.0, 7.0, 9.0]  x.grad = [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]" in out
    assert "x.sum(axis=1, keepdims=True) = [[6.0], [15.0]]  shape (2, 1)" in out
    assert "x.grad = [[1.0, 1.0, 1.0], [10.0, 10.0, 10.0]]" in out
    assert "sum(keepdims=True).shape = (1, 1, 1, 1)  sum(axis=(1, 3)).shape = (2, 4)" in out


def check_40(out, tmp_path):
    assert "x.grad = [2.0, 2.0, 2.0]" in out
    assert "sum_to(x, (1, 3)) = [[5.0, 7.0, 9.0]]" in out
    assert "x0.grad = [1.0, 1.0, 1.0]  x1.grad = [3.0]" in out
    assert "b.grad = [4.0, 4.0, 4.0]" in out


def check_41(out, tmp_path):
    assert "x (2, 3) @ W (3, 4) -> (2, 4)" in out
    assert "x.grad shape (2, 3)  W.grad shape (3, 4)" in out
    assert "x.grad == ones(2, 4) @ W.T: True" in out and "W.grad == x.T @ ones(2, 4): True" in out
    assert "(5, 2, 3) @ (3, 4) -> (5, 2, 4)  b.grad shape (3, 4)" in out


def check_42(out, tmp_path):
    final = line_with(out, "learned W")
    W, b = value(final, "learned W ="), value(final, "b =")
    assert W == pytest.approx(2, abs=0.05) and b == pytest.approx(5, abs=0.05)
    assert W == pytest.approx(value(final, "least squares W ="), abs=2e-3)
    losses = values(out, "loss =")
    assert losses[0] > 30 and losses[-1] < 0.011  # noise variance 0.01
    assert "F.mean_squared_error == the formula: True" in out


def _check_sine_fit(out):
    losses = values(out, "loss =")
    assert losses[0] > 0.5 and losses[-1] < 0.1  # the noise alone gives 1/12 = 0.083
    assert losses == sorted(losses, reverse=True)


def check_43(out, tmp_path):
    _check_sine_fit(out)
    pred = floats(out.split("prediction at x = 0, 0.25, 0.5, 0.75:")[1].splitlines()[0])
    assert pred == pytest.approx([0.5, 1.5, 0.5, -0.5], abs=0.3)


def check_44(out, tmp_path):
    assert "Parameter is a Variable: True" in out and "before the first call: l1.W.data is None" in out
    assert "l1 params [('W', (1, 10)), ('b', (10,))]  l2 params [('W', (10, 1)), ('b', (1,))]" in out
    _check_sine_fit(out)


def check_45(out, tmp_path):
    rows = re.findall(r"^(.*?)\s+(\d+) parameters, loss (\S+) -> (\S+)$", out, re.M)
    assert len(rows) == 3
    assert {r[1] for r in rows} == {"31"}
    assert len({(r[2], r[3]) for r in rows}) == 1  # three ways to write the same network
    assert float(rows[0][3]) < float(rows[0][2]) / 3
    assert "MLP params in order: ['W(1, 10)', 'b(10,)', 'W(10, 1)', 'b(1,)']" in out


def check_46(out, tmp_path):
    finals = {}
    for name in ("SGD", "MomentumSGD", "AdaGrad", "Adam"):
        losses = floats(line_with(out, name + "(").split(":")[1])
        assert losses[0] == pytest.approx(1.0373, abs=1e-4)  # same start for all
        finals[name] = losses[-1]
    assert all(v < 0.25 for v in finals.values())
    assert finals["MomentumSGD"] < finals["SGD"] / 2 and finals["Adam"] < finals["SGD"]


def check_47(out, tmp_path):
    assert "x[1] = [4.0, 5.0, 6.0]  x.grad = [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]" in out
    assert "scores shape (4, 3)" in out and "rows sum to 1: True" in out
    loss = value(out, "softmax_cross_entropy =")
    assert loss == value(out, "-mean(log p[i, t[i]])  =")
    assert 0.5 < loss < 2.5
    assert "softmax_simple agrees: True" in out and "softmax_cross_entropy_simple agrees: True" in out
    assert "every parameter got a gradient: True" in out


def _check_spiral_losses(out):
    losses = values(out, "loss")
    assert losses[-1] < 0.6 and losses[-1] < losses[0] / 1.5


def check_48(out, tmp_path):
    _check_spiral_losses(out)
    assert value(out, "accuracy on the training points") > 0.75


def check_49(out, tmp_path):
    assert "5 examples, ds[3] = (0.3, 9.0)" in out
    assert "Spiral: 300 examples" in out
    x = floats(out.split("train_set[0] = (")[1].split("]")[0])
    assert floats(out.split("scaled[0][0] =")[1].splitlines()[0]) == pytest.approx([2 * v for v in x])
    _check_spiral_losses(out)
    assert value(out, "accuracy on the training set") > 0.75


def check_50(out, tmp_path):
    rows = re.findall(r"^epoch\s+(\d+): train loss (\S+), accuracy (\S+) \| test accuracy (\S+)$", out, re.M)
    assert len(rows) == 6
    first, last = [float(v) for v in rows[0][1:]], [float(v) for v in rows[-1][1:]]
    assert last[0] < first[0] and last[1] > first[1]
    assert last[2] > 0.7  # test accuracy of the quick run


def check_51(out, tmp_path):
    assert "MNIST sample: 4000 train / 1000 test; an example: x (784,) float32 in [0.0, 1.0]" in out
    assert value(out, "test accuracy") > 0.8


def check_52(out, tmp_path):
    assert ("no GPU: running on the CPU" in out) or ("GPU found: running on the GPU" in out)
    if "no GPU" in out:
        assert "array module: numpy" in out
    assert value(out, "epoch 1: loss") < 2.0
    assert value(out, "time") > 0
    assert value(out, "accuracy on 500 training digits:") > 0.8


def check_53(out, tmp_path):
    assert "saved arrays: l0/W (784, 100), l0/b (100,), l1/W (100, 10), l1/b (10,)" in out
    assert "fresh model predicted the same before loading: False" in out
    assert "after load_weights, predictions equal: True" in out
    assert "refused: wrong shapes l0/W: file (784, 100), model (784, 50)" in out


def check_54(out, tmp_path):
    train = floats(out.split("training:  dropout(ones(10)) =")[1].splitlines()[0])
    assert set(train) == {0.0, 2.0}
    assert "test mode: dropout(ones(10)) = " + str([1.0] * 10) + "  Config.train = False" in out
    assert "after the with-block Config.train = True" in out
    assert value(out, "kept") == pytest.approx(0.7, abs=0.01)
    assert value(out, "mean") == pytest.approx(1.0, abs=0.02)
    ys = floats(out.split("dropout output:")[1].splitlines()[0])
    gs = floats(out.split("its gradient:")[1].splitlines()[0])
    assert [y / (i + 1) for i, y in enumerate(ys)] == gs and set(gs) <= {0.0, 2.0}


def check_55(out, tmp_path):
    sizes = re.findall(r"-> (\d+)x(\d+) \(counted: (\d+)x(\d+)\)", out)
    assert len(sizes) == 6
    assert all(s[:2] == s[2:] for s in sizes)
    assert "H=4, W=4, kernel 3x3, stride 1, pad 1 -> 4x4" in out
    assert "H=28, W=28, kernel 5x5, stride 1, pad 0 -> 24x24" in out
    assert "H=32, W=24, kernel 3x5, stride 2, pad 1 -> 16x11" in out


def check_56(out, tmp_path):
    assert "x (1, 3, 7, 7), kernel 5 -> col (9, 75)" in out
    assert "x (10, 3, 7, 7), kernel 5 -> col (90, 75)" in out
    assert "top-left 3x5x5 window: True" in out and "bottom-right window: True" in out
    grid = out.split("(the gradient):")[1]
    assert floats(grid) == [1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1]


def check_57(out, tmp_path):
    assert "x (1, 5, 15, 15) * W (8, 5, 3, 3) -> y (1, 8, 15, 15)" in out
    assert "x.grad (1, 5, 15, 15)  W.grad (8, 5, 3, 3)  b.grad (8,)" in out
    assert "same values: True ; same gradients: True" in out
    assert "by hand (pad 1 shifts the window by one): True" in out
    assert "stride 2, pad 0: (1, 8, 7, 7)" in out
    assert "-> (2, 16, 28, 28)  W (16, 3, 3, 3) float32  b (16,)" in out


def check_58(out, tmp_path):
    assert "of a 4x4 image: [[4.0, 6.0], [9.0, 4.0]]" in out
    assert "gradient marks the maxima: [[0, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0]]" in out
    assert value(out, "train loss") < 2.3  # below chance level, log(10)
    assert value(out, "test accuracy") > 0.4
    assert "-> logits (1, 10) ; 44426 parameters" in out


def check_59(out, tmp_path):
    before, after = value(out, "before training: test loss"), value(out, "after training:  test loss")
    assert after < before / 5 and after < 0.05
    losses = values(out, "train loss")
    assert len(losses) == 3 and losses == sorted(losses, reverse=True)


def check_60(out, tmp_path):
    assert "SeqDataLoader: 34 batches of x (30, 1); batch 0 holds steps 0, 33, 66 ...: True" in out
    before = value(out, "before training: prediction error on a cosine")
    after = value(out, "after training:  prediction error on a cosine")
    assert after < before / 3
    losses = values(out, "train loss")
    assert len(losses) == 5 and losses == sorted(losses, reverse=True)


@pytest.mark.parametrize("n", range(23, 61), ids=lambda n: f"step{n:02d}")
def test_step(n, tmp_path):
    out = run_step(n, tmp_path)
    globals()[f"check_{n:02d}"](out, tmp_path)
    for name in WRITES.get(n, []):
        assert (tmp_path / name).is_file(), f"step{n:02d} did not write {name}"
    for name in PNGS.get(n, []):
        if HAVE_DOT:
            check_png(tmp_path / name)
        else:
            assert not (tmp_path / name).exists()
            assert "dot is not installed" in out


@pytest.mark.parametrize("n", sorted(WRITES), ids=lambda n: f"step{n:02d}")
def test_drawing_steps_replace_a_symlink_instead_of_writing_through_it(n, tmp_path):
    outside, work = tmp_path / "outside", tmp_path / "work"
    outside.mkdir(), work.mkdir()
    names = WRITES[n] + PNGS.get(n, []) + (["sin_derivatives.png"] if n == 34 else [])
    for name in names:
        (outside / name).write_bytes(b"not yours")
        (work / name).symlink_to(outside / name)
    run_step(n, work)
    assert all((outside / name).read_bytes() == b"not yours" for name in names)
    for name in WRITES[n]:
        assert not (work / name).is_symlink() and (work / name).stat().st_size > 100


@pytest.mark.gpu
def test_step52_runs_on_the_gpu(tmp_path):
    out = run_step(52, tmp_path)
    assert "GPU found: running on the GPU" in out
    assert "the weights live in cupy arrays; array module: cupy" in out
    check_52(out, tmp_path)


def test_late_steps_are_documented_programs():
    for n in range(23, 61):
        source = (STEPS / f"step{n:02d}.py").read_text(encoding="utf-8")
        assert source.startswith(f'"""Step {n:02d}: '), f"step{n:02d}.py must open with its docstring"
        assert re.search(r"^(import|from) minigrad", source, re.M), f"step{n:02d}.py must use the package"
