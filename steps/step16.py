"""Step 16: backpropagation in generation order.

Adds over step 15: Variable.backward() keeps the Functions still to process
sorted by generation and always takes the newest one, and queues each Function
only once. A Function then runs only after every Function that consumes its
outputs has run, so its outputs hold their whole gradient: for
y = (x**2)**2 + (x**2)**2 at x=2, x.grad is 64 as it should be.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable: data must be a numpy.ndarray or None, got {type(data).__name__}")
        self.data = data
        self.grad = None
        self.creator = None
        self.generation = 0

    def set_creator(self, func):
        self.creator = func
        self.generation = func.generation + 1

    def cleargrad(self):
        self.grad = None

    def backward(self):
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = []
        seen = set()

        def add_func(f):
            if f not in seen:
                seen.add(f)
                funcs.append(f)
                funcs.sort(key=lambda func: func.generation)

        if self.creator is not None:
            add_func(self.creator)
        while funcs:
            f = funcs.pop()
            gys = [output.grad for output in f.outputs]
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx in zip(f.inputs, gxs):
                if x.grad is None:
                    x.grad = gx
                else:
                    # A new array, not +=: x.grad may be the very array another
                    # Variable holds as its grad (Add passes gy on unchanged).
                    x.grad = x.grad + gx
                if x.creator is not None:
                    add_func(x.creator)


def as_array(x):
    if np.isscalar(x):
        return np.array(x)
    return x


class Function:
    def __call__(self, *inputs):
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(as_array(y)) for y in ys]
        self.generation = max(x.generation for x in inputs)
        for output in outputs:
            output.set_creator(self)
        self.inputs = inputs
        self.outputs = outputs
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, *gys):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward()")


class Square(Function):
    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        x = self.inputs[0].data
        return 2 * x * gy


class Exp(Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return np.exp(x) * gy


class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        return gy, gy


def square(x):
    return Square()(x)


def exp(x):
    return Exp()(x)


def add(x0, x1):
    return Add()(x0, x1)


if __name__ == "__main__":
    x = Variable(np.array(2.0))
    a = square(x)
    y = add(square(a), square(a))
    y.backward()
    print("y = (x**2)**2 + (x**2)**2 at x=2: y =", y.data)
    print("x.grad =", x.grad, "(8x**3 = 64)")

    # Branches of different lengths meet again: y = exp(x**2) + x**2 at x = 1.
    x = Variable(np.array(1.0))
    a = square(x)
    y = add(exp(a), a)
    y.backward()
    print("y = exp(x**2) + x**2 at x=1: x.grad =", x.grad, "| 2x(exp(x**2) + 1) =", 2 * (np.exp(1.0) + 1))
