"""Shakespear (minigrad.datasets.text): character ids as DeZero makes them, the checked download."""
import hashlib
import os

import pytest

from minigrad import datasets as D
from minigrad import files
from minigrad.datasets import text

SAMPLE = "First Citizen:\nBefore we proceed any further, hear me speak.\n"


def test_ids_in_order_of_first_appearance(offline):
    os.makedirs(offline / ".dezero")
    (offline / ".dezero" / "shakespear.txt").write_text(SAMPLE)  # where DeZero's get_file put it
    ds = D.Shakespear()
    assert ds.char_to_id["F"] == 0 and ds.char_to_id["i"] == 1 and ds.id_to_char[2] == "r"
    assert len(ds) == len(SAMPLE) - 1 and ds.data.dtype.kind == "i"
    assert "".join(ds.id_to_char[int(i)] for i in ds.data) == SAMPLE[:-1]
    assert "".join(ds.id_to_char[int(i)] for i in ds.label) == SAMPLE[1:]
    x, t = ds[4]
    assert (ds.id_to_char[int(x)], ds.id_to_char[int(t)]) == ("t", " ")


def test_download_is_sha256_checked(offline, monkeypatch):
    monkeypatch.setattr(files, "fetch", lambda url, path: open(path, "w").write(SAMPLE))
    with pytest.raises(D.DataNotFoundError, match="SHA-256"):
        D.Shakespear()
    assert not (offline / ".minigrad" / "shakespeare").exists()
    monkeypatch.setattr(text, "SHAKESPEARE_SHA256", hashlib.sha256(SAMPLE.encode()).hexdigest())
    assert len(D.Shakespear()) == len(SAMPLE) - 1
    assert (offline / ".minigrad" / "shakespeare" / "shakespear.txt").read_text() == SAMPLE


def test_offline_error(offline, tmp_path):
    with pytest.raises(D.DataNotFoundError, match="shakespear.txt not found.*root=.*~/.dezero"):
        D.Shakespear()
    (tmp_path / "shakespear.txt").write_text(SAMPLE)
    assert D.Shakespear(root=tmp_path).char_to_id[":"] == len(set("First Citizen"))
