"""Shared test setup.

- Make the repository root importable, so tests share helpers as `tests.<module>` (tests.op_table) under
  a plain `pytest tests/` too: pytest's default import mode puts only tests/ itself on sys.path.
- The `gpu` marker: such a test runs on CuPy and is skipped where `minigrad.cuda.gpu_enable` is false.
- MINIGRAD_FAKE_CUPY=1 puts the NumPy-backed CuPy stand-in (tests/fake_cupy) first on sys.path, so
  `import cupy` finds it and the `gpu` tests run without a GPU.  A real CuPy is never shadowed: where
  one is installed the variable is ignored.  tests/test_cuda.py runs `pytest tests/ -m gpu` this way
  inside every plain run of the suite.
"""
import importlib.util
import os
import sys
import urllib.error

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

FAKE_CUPY_DIR = os.path.join(_ROOT, "tests", "fake_cupy")
_spec = importlib.util.find_spec("cupy")  # (the stand-in itself, where PYTHONPATH already names it)
REAL_CUPY = _spec is not None and not (_spec.origin or "").startswith(FAKE_CUPY_DIR + os.sep)
FAKE_CUPY = os.environ.get("MINIGRAD_FAKE_CUPY") == "1" and not REAL_CUPY
if FAKE_CUPY and FAKE_CUPY_DIR not in sys.path:
    sys.path.insert(0, FAKE_CUPY_DIR)
    # and for the programs the tests start (examples, steps)
    os.environ["PYTHONPATH"] = os.pathsep.join([FAKE_CUPY_DIR] + [p for p in [os.environ.get("PYTHONPATH")] if p])

from minigrad import cuda  # noqa: E402  (after the paths above; importing it does not import CuPy)


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: runs on CuPy; skipped without CuPy and a GPU (or the stand-in)")


def pytest_report_header(config):
    if FAKE_CUPY:
        return "cupy: the NumPy-backed stand-in (tests/fake_cupy)"
    if os.environ.get("MINIGRAD_FAKE_CUPY") == "1":
        return "cupy: MINIGRAD_FAKE_CUPY=1 ignored, a real CuPy is installed"
    return None


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    if not cuda.gpu_enable:  # the probe imports CuPy: only done when gpu tests were collected
        skip = pytest.mark.skip(reason="needs CuPy and a CUDA GPU")
        for item in gpu_items:
            item.add_marker(skip)



@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No real ~/.minigrad, ~/.dezero or $MINIGRAD_DATA (HOME is tmp_path/home), and no network:
    minigrad.files.fetch raises as an unreachable host does.  Returns the fake home directory."""
    from minigrad import files
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)

    def no_network(url, path):
        raise urllib.error.URLError("network disabled in tests")
    monkeypatch.setattr(files, "fetch", no_network)
    return home
