"""Make the repository root importable, so tests share helpers as `tests.<module>` (tests.op_table)
under a plain `pytest tests/` too: pytest's default import mode puts only tests/ itself on sys.path."""
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


import urllib.error  # noqa: E402

import pytest  # noqa: E402


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
