"""ImageNet (ILSVRC-2012): the class names the book prints (`ImageNet.labels()`) and the images of a
local copy."""
import ast
import os

import numpy as np

from minigrad.datasets.base import DataNotFoundError, Dataset, dataset_dirs, obtain, ways_to_provide
from minigrad.transforms import Compose, Convert, Resize, ToArray

# The file the book downloads: a gist pinned to one revision.  Nobody publishes its checksum, so a
# download is accepted when it parses as exactly 1,000 class names (parse_labels).
LABELS_URL = ("https://gist.githubusercontent.com/yrevar/942d3a0ac09ec9e5eb3a/raw/"
              "238f720ff059c1f82f368259d1ca4ffa5dd8f9f5/imagenet1000_clsidx_to_labels.txt")
LABELS_FILE = "imagenet1000_clsidx_to_labels.txt"
IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".ppm", ".webp")


def parse_labels(text, where="ImageNet labels"):
    """{index: name} for the 1,000 classes from the labels file, a Python dict literal, read with
    ast.literal_eval: literals only, never code (DeZero eval()s the downloaded file)."""
    try:
        labels = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
        raise ValueError(f"{where}: not a dict literal of class names ({type(e).__name__})") from None
    if (not isinstance(labels, dict) or not all(type(k) is int for k in labels)
            or sorted(labels) != list(range(1000)) or not all(isinstance(v, str) for v in labels.values())):
        raise ValueError(f"{where}: expected a dict of 1000 class names keyed 0..999")
    return {k: labels[k] for k in range(1000)}


class ImageNet(Dataset):
    """ImageNet images from a local copy laid out as SPLIT/CLASS/IMAGE, SPLIT being train or val and CLASS
    one directory per class (WordNet ids n01440764 ..., whose sorted order is the class index of
    labels()).  It is looked for in root=, $MINIGRAD_DATA/imagenet and ~/.minigrad/imagenet.  ImageNet
    cannot be downloaded (image-net.org requires registration).  Images are opened with PIL when
    indexed; the default transform makes them (3, 224, 224) float32 RGB arrays in [0, 255]."""
    name = "imagenet"

    def __init__(self, train=True, transform=Compose([Convert("RGB"), Resize(224), ToArray()]),
                 target_transform=None, root=None):
        self.root = root
        super().__init__(train, transform, target_transform)

    def prepare(self):
        split = "train" if self.train else "val"
        tops = [os.path.join(d, split) for d in dataset_dirs(self.name, self.root)[:-1]]  # not ~/.dezero
        top = next((t for t in tops if os.path.isdir(t)), None)
        if top is None:
            ways = ways_to_provide(self.name, [f"{split}/CLASS/IMAGE"])[:-1]
            raise DataNotFoundError(f"ImageNet: no local copy ({split}/ in none of {', '.join(tops)}); it "
                                    "cannot be downloaded (image-net.org requires registration). Ways to "
                                    "provide it: " + "; ".join(ways))
        classes = sorted(e for e in os.listdir(top) if os.path.isdir(os.path.join(top, e)))
        paths, labels = [], []
        for index, cls in enumerate(classes):
            for f in sorted(os.listdir(os.path.join(top, cls))):
                if f.lower().endswith(IMAGE_EXTENSIONS):
                    paths.append(os.path.join(top, cls, f))
                    labels.append(index)
        self.classes = classes
        self.data, self.label = np.array(paths, dtype=str), np.array(labels, dtype=np.int64)

    def __getitem__(self, index):
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"ImageNet: index must be an int, got {type(index).__name__}")
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("ImageNet images are read with Pillow: pip install pillow") from None
        with Image.open(self.data[index]) as img:
            img.load()
            x = self.transform(img) if self.transform is not None else img
        t = self.label[index]
        return x, (self.target_transform(t) if self.target_transform is not None else t)

    @staticmethod
    def labels():
        """{index: name} of the 1,000 classes (the book's file, downloaded once; see parse_labels)."""
        path = obtain("imagenet", LABELS_FILE, LABELS_URL)
        with open(path, encoding="utf-8") as f:
            return parse_labels(f.read(), path)
