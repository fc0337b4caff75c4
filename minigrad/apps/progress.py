"""A tiny, dependency-free progress bar (tqdm is not needed).

    for x, t in progress(loader, desc="epoch 1/10"):
        ...
        bar.set_postfix(loss=0.123)        # bar = progress(...) when you need set_postfix

On a terminal the bar redraws one line in place with '\\r' (at most every `mininterval` seconds);
in a Jupyter notebook it updates one output in place (tqdm's widget when tqdm and ipywidgets are
installed, else an HTML <progress> bar); otherwise (a pipe, a log file, CI) it prints a single summary
line when it closes, so logs stay short:

    epoch 1/10: 40/40 100% 3.1s loss=0.4521

It can also be driven by hand: `bar = Progress(total=n, desc=...)`, `bar.update(k)`, `bar.close()`,
or used as a context manager.
"""
import html
import importlib.util
import os
import sys
import time

from minigrad import jupyter


def _format_value(v):
    if isinstance(v, float) or (hasattr(v, "dtype") and getattr(v, "ndim", 1) == 0 and v.dtype.kind == "f"):
        v = float(v)
        return f"{v:.4f}" if 1e-3 <= abs(v) < 1e4 or v == 0 else f"{v:.3e}"
    return str(v)


def _format_time(seconds):
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _is_interactive(file):
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        return False
    isatty = getattr(file, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed or odd streams
        return False


def _display(bundle):
    """Show a MIME bundle as a new notebook output; return the handle that updates it in place."""
    from IPython.display import display
    return display(bundle, raw=True, display_id=True)


def _to_notebook(file):
    """Whether a bar writing to `file` belongs in the notebook's output area."""
    return (file is None or file is sys.stdout or file is sys.stderr) and jupyter.in_kernel()


class Progress:
    """Wrap an iterable (or count by hand with `update`) and show progress on one line.

    iterable     what to iterate over; its len() (if any) gives `total`
    desc         text shown before the counter
    total        number of steps (default: len(iterable), else unknown)
    file         stream to write to (default sys.stderr)
    dynamic      True: redraw in place (with '\\r', or a display update in a notebook); False: one
                 summary line at close; None (default): True when `file` is a terminal and $CI is unset,
                 or in a Jupyter kernel
    disable      show nothing at all
    mininterval  least seconds between two redraws on a terminal
    width        bar width in characters
    """

    def __init__(self, iterable=None, desc="", total=None, file=None, dynamic=None, disable=False,
                 mininterval=0.1, width=20):
        self.iterable = iterable
        self.desc = desc
        if total is None and iterable is not None:
            try:
                total = len(iterable)
            except TypeError:
                total = None
        self.total = total
        # In a notebook the bar is a display output updated in place (stream text cannot be redrawn
        # reliably there); messages from write() still go to `file`.
        self.notebook = dynamic is not False and _to_notebook(file)
        self._handle = None
        self.file = sys.stderr if file is None else file
        if self.notebook:
            dynamic = True
        self.dynamic = _is_interactive(self.file) if dynamic is None else bool(dynamic)
        self.disable = disable
        self.mininterval = mininterval
        self.width = width
        self.n = 0
        self.postfix = {}
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._last_len = 0
        self.closed = False

    # --- iteration -------------------------------------------------------------------------
    def __iter__(self):
        if self.iterable is None:
            raise TypeError("Progress: nothing to iterate over (pass an iterable, or use update())")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __len__(self):
        if self.total is None:
            raise TypeError("Progress: total is unknown")
        return self.total

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # --- state -----------------------------------------------------------------------------
    def update(self, n=1):
        """Advance by `n` steps and redraw if due."""
        self.n += n
        self._maybe_draw()

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        """Show `key=value` pairs after the counter (floats with 4 decimals), replacing the old ones."""
        items = dict(ordered_dict or {})
        items.update(kwargs)
        self.postfix = {k: _format_value(v) for k, v in items.items()}
        if refresh:
            self._maybe_draw()

    def set_description(self, desc, refresh=True):
        self.desc = desc
        if refresh:
            self._maybe_draw()

    @property
    def elapsed(self):
        return time.perf_counter() - self.start

    def format_line(self, final=False, bar=None):
        """The text of the progress line (without '\\r' or newline); `bar` (default: when redrawing
        in place) draws the [###...] bar."""
        elapsed = self.elapsed
        parts = [f"{self.desc}:" if self.desc else ""]
        if self.total:
            frac = min(1.0, self.n / self.total)
            if self.dynamic if bar is None else bar:
                filled = int(frac * self.width)
                parts.append("[" + "#" * filled + "." * (self.width - filled) + "]")
            parts.append(f"{self.n}/{self.total} {frac:4.0%}")
            if not final and 0 < self.n < self.total:
                eta = elapsed / self.n * (self.total - self.n)
                parts.append(f"{_format_time(elapsed)}<{_format_time(eta)}")
            else:
                parts.append(_format_time(elapsed))
        else:
            parts.append(f"{self.n} it")
            parts.append(_format_time(elapsed))
        parts.extend(f"{k}={v}" for k, v in self.postfix.items())
        return " ".join(p for p in parts if p)

    # --- output ----------------------------------------------------------------------------
    def _maybe_draw(self):
        if self.disable or self.closed or not self.dynamic:
            return
        now = time.perf_counter()
        if now - self._last_draw < self.mininterval and not (self.total and self.n >= self.total):
            return
        self._last_draw = now
        self._draw(self.format_line())

    def _draw(self, line):
        if self.notebook:
            return self._draw_notebook(line, final=False)
        pad = " " * max(0, self._last_len - len(line))
        self.file.write("\r" + line + pad)
        self.file.flush()
        self._last_len = len(line)

    def _draw_notebook(self, line, final):
        text = html.escape(self.format_line(final=final, bar=False))
        if self.total:
            bar = (f'<progress value="{min(self.n, self.total)}" max="{self.total}" '
                   f'style="width:{self.width}em;vertical-align:middle"></progress> ')
        else:
            bar = ""
        bundle = {"text/plain": line, "text/html": f"<div>{bar}<code>{text}</code></div>"}
        if self._handle is None:
            self._handle = _display(bundle)
        else:
            self._handle.update(bundle, raw=True)

    def write(self, message):
        """Print a message on its own line without breaking the bar."""
        if self.dynamic and not self.notebook and self._last_len and not self.closed:
            self.file.write("\r" + " " * self._last_len + "\r")
            self._last_len = 0
        self.file.write(message + "\n")
        self.file.flush()
        self._maybe_draw()

    def close(self):
        """Finish: the final line stays on screen (on a terminal) or is printed once (elsewhere)."""
        if self.closed:
            return
        if not self.disable:
            line = self.format_line(final=True)
            if self.notebook:
                self._draw_notebook(line, final=True)
            elif self.dynamic:
                self._draw(line)
                self.file.write("\n")
            else:
                self.file.write(line + "\n")
            self.file.flush()
        self.closed = True


def _tqdm_widgets():
    """Whether tqdm's notebook widget can be used (it needs ipywidgets); nothing is imported."""
    return bool(importlib.util.find_spec("tqdm") and importlib.util.find_spec("ipywidgets"))


def progress(iterable=None, desc="", total=None, file=None, dynamic=None, disable=False, mininterval=0.1,
             width=20):
    """A progress bar over `iterable` (arguments as Progress).  In a Jupyter notebook with tqdm and
    ipywidgets installed it is `tqdm.auto.tqdm` (a widget; same update/set_postfix/write/close);
    everywhere else a Progress, which also updates in place in a notebook."""
    if not disable and dynamic is not False and _to_notebook(file) and _tqdm_widgets():
        from tqdm.auto import tqdm
        return tqdm(iterable, desc=desc, total=total, mininterval=mininterval)
    return Progress(iterable, desc=desc, total=total, file=file, dynamic=dynamic, disable=disable,
                    mininterval=mininterval, width=width)
