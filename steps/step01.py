"""Step 01: a Variable is a box that holds data.

Everything starts here: a class that wraps a NumPy array. Later steps hang a
gradient, a creator and operators on this box; for now it only holds an array
and lets you put another one in its place.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data


if __name__ == "__main__":
    x = Variable(np.array(1.0))
    print("x.data =", x.data)
    x.data = np.array(2.0)
    print("after x.data = np.array(2.0): x.data =", x.data)

    # The box holds arrays of any rank: a scalar, a vector, a matrix.
    for array in (np.array(1.0), np.array([1.0, 2.0, 3.0]), np.array([[1.0, 2.0], [3.0, 4.0]])):
        v = Variable(array)
        print(f"ndim={v.data.ndim} shape={v.data.shape} data={v.data.tolist()}")
