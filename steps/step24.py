"""Step 24: gradients of the optimisation test functions.

Adds over step 23: the simple core's operators are enough to write real
formulas as ordinary Python. Three classic test functions, differentiated at
(1, 1):
  sphere          z = x^2 + y^2
  Matyas          z = 0.26 (x^2 + y^2) - 0.48 x y
  Goldstein-Price z = [1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]
                    * [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]
"""
import numpy as np

from minigrad.core_simple import Variable


def sphere(x, y):
    return x ** 2 + y ** 2


def matyas(x, y):
    return 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y


def goldstein(x, y):
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2)
    return a * b


for name, f in [("sphere", sphere), ("matyas", matyas), ("goldstein", goldstein)]:
    x, y = Variable(np.array(1.0)), Variable(np.array(1.0))
    z = f(x, y)
    z.backward()
    print(f"{name:<10} at (1, 1): z = {float(z.data):g}  dz/dx = {float(x.grad):.6g}  "
          f"dz/dy = {float(y.grad):.6g}")
