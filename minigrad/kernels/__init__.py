"""Raw array kernels: NumPy/CuPy code that Functions call in their forward passes.

Nothing here knows Variables or the graph, and nothing checks arguments (the Functions' public
wrappers do): reduction helpers (`reduction`), GEMM into an output and AXPY on NumPy's BLAS (`blas`), the
window geometry convolution and pooling share (`geometry`), convolution (`conv`) and pooling
(`pooling`).
"""
