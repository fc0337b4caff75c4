"""DeZero's `dezero.utils` names, gathered from the modules that hold them: array helpers
(minigrad.kernels.reduction), argument and size helpers (minigrad.checks, minigrad.kernels.geometry),
gradient checking (minigrad.gradcheck), graph drawing (minigrad.graph) and downloads (minigrad.files).
"""
from minigrad import files
from minigrad.checks import pair, positive_int  # noqa: F401
from minigrad.files import get_file, show_progress  # noqa: F401
from minigrad.gradcheck import array_allclose, array_equal, gradient_check, numerical_grad  # noqa: F401
from minigrad.graph import get_dot_graph, plot_dot_graph  # noqa: F401
from minigrad.kernels.geometry import conv_outsize as get_conv_outsize  # noqa: F401
from minigrad.kernels.geometry import deconv_outsize as get_deconv_outsize  # noqa: F401
from minigrad.kernels.reduction import logsumexp, max_backward_shape, reshape_sum_backward, sum_to  # noqa: F401

cache_dir = files.cache_dir()  # DeZero's module constant: where get_file puts downloads
