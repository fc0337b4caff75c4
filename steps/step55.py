"""Step 55: the output size of a convolution.

Adds over step 54: the arithmetic of convolutional layers. A KH x KW filter
slides over an H x W image padded with `pad` zeros on every side, moving
`stride` pixels at a time; it fits (H + 2 pad - KH) // stride + 1 times
down and (W + 2 pad - KW) // stride + 1 times across. That is
utils.get_conv_outsize; here it is checked against counting the positions
one by one.
"""
from minigrad.utils import get_conv_outsize


def count_positions(size, kernel, stride, pad):
    """Where a window can start, counted by walking along the padded axis."""
    return sum(1 for start in range(0, size + 2 * pad, stride) if start + kernel <= size + 2 * pad)


cases = [  # (H, W, KH, KW, stride, pad)
    (4, 4, 3, 3, 1, 1),
    (7, 7, 5, 5, 1, 0),
    (7, 7, 3, 3, 2, 0),
    (28, 28, 5, 5, 1, 0),
    (32, 24, 3, 5, 2, 1),
    (224, 224, 7, 7, 2, 3),
]
for H, W, KH, KW, stride, pad in cases:
    OH = get_conv_outsize(H, KH, stride, pad)
    OW = get_conv_outsize(W, KW, stride, pad)
    counted = (count_positions(H, KH, stride, pad), count_positions(W, KW, stride, pad))
    print(f"H={H}, W={W}, kernel {KH}x{KW}, stride {stride}, pad {pad} -> {OH}x{OW} "
          f"(counted: {counted[0]}x{counted[1]})")
