"""Text datasets: Shakespear (DeZero's name and spelling), the tiny-shakespeare corpus as characters."""
import numpy as np

from minigrad.datasets.base import Dataset, obtain

# The book's URL; size and SHA-256 as recorded in TensorFlow Datasets' checksums for this URL
# (tensorflow_datasets/url_checksums/tiny_shakespeare.txt): 1,115,394 bytes.
SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
SHAKESPEARE_FILE = "shakespear.txt"  # the name DeZero saves it under


class Shakespear(Dataset):
    """Karpathy's tiny-shakespeare (about 1.1 million characters) for character-level models:
    data[i] is the id of character i and label[i] that of character i+1 (int64).  Ids are given in
    order of first appearance: `char_to_id` and `id_to_char` map between them.

    The file is looked for in root=, $MINIGRAD_DATA/shakespeare, ~/.minigrad/shakespeare and ~/.dezero
    (as shakespear.txt), else downloaded (SHA-256-checked).  `train` is accepted and ignored, as in DeZero.
    """
    name = "shakespeare"

    def __init__(self, train=True, transform=None, target_transform=None, root=None):
        self.root = root
        super().__init__(train, transform, target_transform)

    def prepare(self):
        path = obtain(self.name, SHAKESPEARE_FILE, SHAKESPEARE_URL, self.root, sha256=SHAKESPEARE_SHA256)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if len(text) < 2:
            raise ValueError(f"Shakespear: {path} holds {len(text)} characters; at least 2 are needed")
        char_to_id = {}
        for c in text:
            char_to_id.setdefault(c, len(char_to_id))
        self.char_to_id = char_to_id
        self.id_to_char = {i: c for c, i in char_to_id.items()}
        indices = np.array([char_to_id[c] for c in text], dtype=np.int64)
        self.data, self.label = indices[:-1], indices[1:]
