"""ImageNet (minigrad.datasets.imagenet): labels() parsed safely from the book's file (found in
~/.dezero, downloaded otherwise), and the images of a local copy."""
import os

import numpy as np
import pytest

from minigrad import datasets as D
from minigrad import files
from minigrad.datasets import imagenet


def labels_text():
    """The book's file format: a dict literal of 1000 names, 0: 'tench, Tinca tinca' first."""
    names = {0: "tench, Tinca tinca", 340: "zebra", 999: "toilet tissue, toilet paper, bathroom tissue"}
    return "{" + ",\n ".join(f"{i}: {names.get(i, f'class {i}')!r}" for i in range(1000)) + "}"


def test_labels_found_in_dezero_cache(offline):
    os.makedirs(offline / ".dezero")
    (offline / ".dezero" / imagenet.LABELS_FILE).write_text(labels_text())
    labels = D.ImageNet.labels()
    assert len(labels) == 1000 and labels[340] == "zebra" and labels[0] == "tench, Tinca tinca"


def test_labels_are_never_evaluated(offline, tmp_path, monkeypatch):
    """DeZero eval()s the downloaded file; minigrad reads literals only."""
    marker = tmp_path / "ran"
    evil = "{0: __import__('pathlib').Path(%r).write_text('x')}" % str(marker)
    os.makedirs(offline / ".minigrad" / "imagenet")
    (offline / ".minigrad" / "imagenet" / imagenet.LABELS_FILE).write_text(evil)
    with pytest.raises(ValueError, match="not a dict literal"):
        D.ImageNet.labels()
    assert not marker.exists()
    for bad, match in (("{0: 'a'}", "1000 class names"), ("[1, 2]", "1000 class names"),
                       ("{" + ", ".join(f"{i}: {i}" for i in range(1000)) + "}", "1000 class names")):
        with pytest.raises(ValueError, match=match):
            imagenet.parse_labels(bad)


def test_labels_downloaded_from_the_books_url(offline, monkeypatch):
    calls = []

    def fetch(url, path):
        calls.append(url)
        with open(path, "w") as f:
            f.write(labels_text())
    monkeypatch.setattr(files, "fetch", fetch)
    assert D.ImageNet.labels()[999].startswith("toilet tissue")
    assert calls == [imagenet.LABELS_URL] and "yrevar/942d3a0ac09ec9e5eb3a" in calls[0]
    assert (offline / ".minigrad" / "imagenet" / imagenet.LABELS_FILE).is_file()
    assert D.ImageNet.labels()[340] == "zebra" and len(calls) == 1  # downloaded once


def test_labels_offline_error(offline):
    with pytest.raises(D.DataNotFoundError, match=r"imagenet1000_clsidx_to_labels.txt not found.*~/.dezero"):
        D.ImageNet.labels()


def test_images_from_a_local_copy(offline, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    for cls, colour in (("n01440764", (255, 0, 0)), ("n01443537", (0, 0, 255))):
        os.makedirs(tmp_path / "val" / cls)
        for k in range(2):
            Image.new("RGB", (40, 30), colour).save(tmp_path / "val" / cls / f"img{k}.JPEG")
    (tmp_path / "val" / "n01443537" / "notes.txt").write_text("not an image")
    ds = D.ImageNet(train=False, root=tmp_path)
    assert len(ds) == 4 and ds.label.tolist() == [0, 0, 1, 1] and ds.classes == ["n01440764", "n01443537"]
    x, t = ds[3]
    assert x.shape == (3, 224, 224) and x.dtype == np.float32 and t == 1
    assert x[2].mean() > 200 and x[0].mean() < 50  # blue
    with pytest.raises(D.DataNotFoundError, match="cannot be downloaded"):
        D.ImageNet(train=True, root=tmp_path)
