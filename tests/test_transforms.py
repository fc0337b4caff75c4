import sys

import numpy as np
import pytest

from minigrad import transforms as T


def test_normalize_scalar_keeps_float32():
    x = np.array([0, 51, 255], dtype=np.float32)
    y = T.Normalize(0., 255.)(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [0.0, 0.2, 1.0], rtol=1e-6)
    y64 = T.Normalize(np.float64(1.0), np.float64(2.0))(x)
    assert y64.dtype == np.float32
    np.testing.assert_allclose(y64, [-0.5, 25.0, 127.0])


def test_normalize_uint8_becomes_float32():
    y = T.Normalize(128, 2)(np.array([0, 128, 255], dtype=np.uint8))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [-64.0, 0.0, 63.5])


def test_normalize_per_channel_chw():
    x = np.stack([np.full((2, 3), v, np.float32) for v in (1.0, 2.0, 3.0)])  # (3, 2, 3)
    y = T.Normalize(mean=[1.0, 2.0, 3.0], std=[1.0, 2.0, 4.0])(x)
    assert y.shape == (3, 2, 3)
    np.testing.assert_array_equal(y, 0.0)
    y = T.Normalize(mean=(0.5, 1.0, 1.0), std=0.5)(x)
    np.testing.assert_array_equal(y[:, 0, 0], [1.0, 2.0, 4.0])
    with pytest.raises(ValueError, match="2 values but the input has 3 channels"):
        T.Normalize(mean=[1.0, 2.0])(x)


def test_normalize_batch_matches_items():
    rng = np.random.RandomState(0)
    xs = rng.rand(5, 3, 4, 4).astype(np.float32)
    n = T.Normalize([0.1, 0.2, 0.3], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(n.apply_batch(xs), np.stack([n(x) for x in xs]))


def test_flatten_astype_toint():
    x = np.arange(12, dtype=np.uint8).reshape(1, 3, 4)
    f = T.Flatten()(x)
    assert f.shape == (12,) and f[5] == 5
    assert T.Flatten().apply_batch(np.zeros((7, 1, 3, 4))).shape == (7, 12)
    y = T.AsType()(x)
    assert y.dtype == np.float32 and y[0, 2, 3] == 11.0
    assert T.ToFloat is T.AsType
    assert T.AsType(np.float64)(x).dtype == np.float64
    z = T.ToInt()(np.array([1.7, -2.2]))
    assert z.dtype == np.array(0).dtype and list(z) == [1, -2]
    assert T.ToInt(np.uint8)(np.array([3.0])).dtype == np.uint8


def test_compose_order_and_batch():
    c = T.Compose([T.Flatten(), T.ToFloat(), T.Normalize(0., 255.)])
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    y = c(x)
    assert y.shape == (4,) and y.dtype == np.float32
    np.testing.assert_allclose(y, [0.0, 1.0, 0.2, 0.4], rtol=1e-6)
    assert c.batchable
    xs = np.stack([x, 255 - x])
    np.testing.assert_array_equal(c.apply_batch(xs), np.stack([c(v) for v in xs]))
    assert not T.Compose([T.Flatten(), lambda v: v]).batchable
    assert T.Compose()(x) is x
    assert T.Compose([lambda v: v + 1, lambda v: v * 10])(np.array(1)) == 20


def test_center_crop_and_flip_numpy():
    x = np.arange(2 * 6 * 8).reshape(2, 6, 8)
    c = T.CenterCrop((4, 2))(x)  # (W, H)
    assert c.shape == (2, 2, 4)
    np.testing.assert_array_equal(c, x[:, 2:4, 2:6])
    assert T.CenterCrop(4)(x).shape == (2, 4, 4)
    with pytest.raises(ValueError, match="exceeds"):
        T.CenterCrop(10)(x)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x), x[:, :, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(x) is x


def test_convert_numpy():
    g = np.arange(4, dtype=np.float32).reshape(1, 2, 2)
    rgb = T.Convert("RGB")(g)
    assert rgb.shape == (3, 2, 2) and np.array_equal(rgb[2], g[0])
    x = np.stack([np.full((2, 2), v, np.float32) for v in (10.0, 20.0, 30.0)])
    np.testing.assert_array_equal(T.Convert("BGR")(x)[:, 0, 0], [30.0, 20.0, 10.0])
    lum = T.Convert("L")(x)
    assert lum.shape == (1, 2, 2)
    np.testing.assert_allclose(lum[0, 0, 0], 0.299 * 10 + 0.587 * 20 + 0.114 * 30, rtol=1e-6)


def test_toarray_passthrough_and_type_error():
    x = np.zeros((1, 2, 2))
    assert T.ToArray()(x) is x
    with pytest.raises(TypeError, match="ToArray"):
        T.ToArray()([1, 2])


def test_missing_pillow_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes `from PIL import Image` fail
    with pytest.raises(ImportError, match="pip install pillow"):
        T.ToPIL()(np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(ImportError, match="pip install pillow"):
        T.Resize(2)(np.zeros((1, 4, 4), np.float32))


def test_pil_round_trip():
    pytest.importorskip("PIL")
    x = np.random.RandomState(0).randint(0, 256, size=(3, 6, 8)).astype(np.uint8)
    img = T.ToPIL()(x)
    assert img.size == (8, 6)
    back = T.ToArray(np.uint8)(img)
    np.testing.assert_array_equal(back, x)
    np.testing.assert_array_equal(T.ToArray()(T.CenterCrop((4, 2))(img)), T.CenterCrop((4, 2))(x))
    np.testing.assert_array_equal(T.ToArray(np.uint8)(T.Convert("BGR")(img)), x[::-1])
    np.testing.assert_array_equal(T.ToArray(np.uint8)(T.RandomHorizontalFlip(1.0)(img)), x[:, :, ::-1])
    assert T.Resize((4, 3))(img).size == (4, 3)
    r = T.Resize((4, 3))(np.full((2, 6, 8), 7.0, np.float32))  # constant image stays constant
    assert r.shape == (2, 3, 4) and r.dtype == np.float32
    np.testing.assert_allclose(r, 7.0, rtol=1e-6)
    g = T.ToPIL()(x[:1])
    assert g.mode == "L" and T.ToArray()(g).shape == (1, 6, 8)


def test_subclass_overriding_call_is_applied_on_the_batch_path():
    from minigrad.dataloaders import DataLoader
    from minigrad.datasets import Dataset

    class Plus100(T.AsType):
        def __call__(self, array):
            return super().__call__(array) + 100

    class Data(Dataset):
        def prepare(self):
            self.data = np.arange(6, dtype=np.float32).reshape(3, 2)
            self.label = np.zeros(3, dtype=np.int64)

    ds = Data(transform=Plus100())
    x, _ = next(iter(DataLoader(ds, 3, shuffle=False)))
    np.testing.assert_array_equal(x, np.stack([ds[i][0] for i in range(3)]))
    assert x.min() == 100


def test_convert_to_l_rounds_like_pil():
    x = np.array([[[141]], [[141]], [[140]]], dtype=np.uint8)  # 0.299*141 + 0.587*141 + 0.114*140 = 140.886
    assert T.Convert("L")(x).tolist() == [[[141]]]


def test_convert_to_l_equals_pil():
    Image = pytest.importorskip("PIL.Image")
    rgb = np.random.default_rng(0).integers(0, 256, (3, 8, 8)).astype(np.uint8)
    pil = np.asarray(Image.fromarray(rgb.transpose(1, 2, 0)).convert("L"))
    np.testing.assert_array_equal(T.Convert("L")(rgb)[0], pil)
