"""minigrad.malloc: `import minigrad` keeps freed large arrays in the heap (no page faults on reuse)."""
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

CODE = """
import resource
import numpy as np
import minigrad
import minigrad.functions as F
from minigrad import Variable
rng = np.random.default_rng(0)
x = Variable(rng.standard_normal((16, 64, 16, 16), dtype=np.float32))
W = Variable(rng.standard_normal((64, 32, 4, 4), dtype=np.float32))

def step():  # the deconv case of benchmarks/suite.py: forward and backward
    x.cleargrad()
    W.cleargrad()
    F.sum(F.deconv2d(x, W, None, 2, 1)).backward()

for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def _faults(tuning):
    env = {"MINIGRAD_MALLOC_TUNING": tuning, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout)


def test_import_keeps_large_arrays_in_the_heap():
    # Page faults per step of the deconv case (about 2,500 untuned, 0 tuned here): glibc's defaults
    # give the step's large temporaries back to the system and fault them in again every step; tuned,
    # they are reused.  (LeNet at batch 100 no longer shows it: its temporaries are small enough.)
    tuned, untuned = _faults("1"), _faults("0")
    assert tuned < 50
    assert untuned > 10 * max(tuned, 20)


def test_tune_can_be_switched_off(monkeypatch):
    from minigrad import malloc
    monkeypatch.setenv("MINIGRAD_MALLOC_TUNING", "0")
    assert malloc.tune() is False


def test_a_user_s_own_malloc_settings_are_left_alone(monkeypatch):
    from minigrad import malloc
    monkeypatch.setenv("MINIGRAD_MALLOC_TUNING", "1")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    assert malloc.tune() is False
