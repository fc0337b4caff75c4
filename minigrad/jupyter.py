"""Whether minigrad runs inside a Jupyter kernel, where results are displayed rich (images, HTML) and
a progress bar can update its output in place.  Never imports IPython: a script that has not loaded
it is not in a kernel."""
import sys


def in_kernel():
    """True inside a Jupyter (IPython) kernel; False in a script, a terminal IPython, or a test."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    # A kernel's shell has a `kernel`; the terminal IPython's has none and displays only text.
    return shell is not None and getattr(shell, "kernel", None) is not None
