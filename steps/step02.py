"""Step 02: a Function turns a Variable into a new Variable.

Adds over step 01: the Function base class. Calling a Function takes the array
out of the input Variable, runs forward() on it and puts the result in a new
Variable. Subclasses only write forward(); Square is the first one.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data


class Function:
    def __call__(self, input):
        y = self.forward(input.data)
        return Variable(y)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")


class Square(Function):
    def forward(self, x):
        return x ** 2


if __name__ == "__main__":
    x = Variable(np.array(10))
    f = Square()
    y = f(x)
    print(f"Square()(Variable(10)) -> {type(y).__name__} holding {y.data}")

    try:
        Function()(x)
    except NotImplementedError as e:
        print("the base class itself computes nothing:", e)
