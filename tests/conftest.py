"""Make the repository root importable, so tests share helpers as `tests.<module>` (tests.op_table)
under a plain `pytest tests/` too: pytest's default import mode puts only tests/ itself on sys.path."""
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
