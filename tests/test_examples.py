"""The example programs run end to end (short settings) and print what they promise."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name, *args, cwd, timeout=120):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg", HOME=str(cwd))
    env.pop("MINIGRAD_DATA", None)  # never pick up real data files or the user's cache
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def last_accuracy(stdout):
    last = stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"test accuracy: (0\.\d{4}|1\.0000)", last)
    assert m, f"last line is not 'test accuracy: 0.xxxx': {last!r}"
    return float(m.group(1))


def test_mnist_lenet_short_run(tmp_path):
    proc = run_example("mnist_lenet.py", "--epochs", "2", "--limit", "2000", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "MNIST (bundled sample): 2,000 train / 1,000 test" in out
    epoch_lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 2  # not a TTY: one progress line per epoch
    assert re.search(r"epoch 2/2: 20/20 100% .* loss=\d\.\d{4} acc=", epoch_lines[1])
    assert last_accuracy(out) > 0.75  # 40 Adam steps on 2,000 digits: 0.86-0.88 over seeds


def test_mnist_lenet_clear_errors(tmp_path):
    proc = run_example("mnist_lenet.py", "--dataset", "fashion", "--sample", cwd=tmp_path)
    assert proc.returncode != 0 and "no bundled Fashion-MNIST sample" in proc.stderr
    proc = run_example("mnist_lenet.py", "--full", cwd=tmp_path)  # HOME is empty: no full MNIST here
    assert proc.returncode != 0 and "full MNIST files not found" in proc.stderr and "--download" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_mnist_lenet_gpu_without_gpu_fails_clearly(tmp_path):
    from minigrad import cuda
    if cuda.gpu_enable:
        pytest.skip("a GPU is available here")
    proc = run_example("mnist_lenet.py", "--gpu", "--epochs", "1", cwd=tmp_path)
    assert proc.returncode != 0
    assert "--gpu" in proc.stderr and ("CuPy" in proc.stderr or "GPU" in proc.stderr)
    assert "Traceback" not in proc.stderr and "test accuracy" not in proc.stdout


@pytest.mark.gpu
def test_mnist_lenet_on_the_gpu(tmp_path):
    """The main job with --gpu trains as on the CPU, and its saved weights give the same test
    accuracy on the CPU (saving moves nothing and writes host arrays)."""
    import numpy as np
    import minigrad
    from minigrad.datasets import MNIST
    from minigrad.models import LeNet
    from minigrad.transforms import Compose, Normalize, ToFloat
    proc = run_example("mnist_lenet.py", "--gpu", "--epochs", "2", "--limit", "2000", "--save", "w.npz",
                       cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "2,000 train / 1,000 test, 2 epochs" in proc.stdout and ", gpu\n" in proc.stdout
    accuracy = last_accuracy(proc.stdout)
    assert accuracy > 0.75  # as the CPU run: 40 Adam steps on 2,000 digits
    model = LeNet(num_classes=10)
    model.load_weights(tmp_path / "w.npz")
    test = MNIST(train=False, sample=True, transform=Compose([ToFloat(), Normalize(0., 255.)]))
    x = np.stack([test[i][0] for i in range(len(test))])
    with minigrad.no_grad(), minigrad.test_mode():
        pred = model(x).data.argmax(axis=1)
    assert isinstance(pred, np.ndarray)
    assert abs((pred == test.label).mean() - accuracy) <= 0.002  # GPU rounding may flip a digit


def test_spiral_mlp(tmp_path):
    proc = run_example("spiral_mlp.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert last_accuracy(proc.stdout) > 0.9


def test_cnn_classifier_writes_loss_curves(tmp_path):
    has_mpl = importlib.util.find_spec("matplotlib") is not None
    out_png = tmp_path / "curves.png"
    args = ["--epochs", "2", "--limit", "600", "--out", str(out_png)]
    proc = run_example("cnn_classifier.py", *args, *([] if has_mpl else ["--no-plot"]), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "540 train / 60 validation / 1000 test" in out
    assert len([line for line in out.splitlines() if line.startswith("epoch ")]) == 2
    m = re.search(r"^test accuracy: +(\d\.\d{4})$", out, re.M)
    assert m and float(m.group(1)) > 0.5  # 10 steps on 540 digits: ~0.75
    if not has_mpl:
        pytest.skip("matplotlib is not installed: the plot was not checked")
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".loss-curves-")] == []
