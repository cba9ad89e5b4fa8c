"""Rectifier-like and smooth unbounded activations: relu and its variants, elu, selu, softplus,
silu (swish), gelu, mish, exponential and linear.

Each is a function of ``K`` ops, so it runs eagerly on arrays and records graph ops on
symbolic tensors.
"""

from __future__ import annotations

import math
from typing import Any, Optional

from rkeras import backend as K


def relu(x: Any, alpha: float = 0.0, max_value: Optional[float] = None,
         threshold: float = 0.0, negative_slope: Optional[float] = None) -> Any:
    """Rectified linear unit: ``x`` above `threshold`, ``alpha * (x - threshold)`` below it,
    capped at `max_value`. Keras 3's ``negative_slope`` is accepted for `alpha`.

    >>> from rkeras import activations
    >>> activations.relu([-10.0, -5.0, 0.0, 5.0, 10.0]).tolist()
    [0.0, 0.0, 0.0, 5.0, 10.0]
    >>> activations.relu([-10.0, 5.0, 10.0], alpha=0.5, max_value=5.0).tolist()
    [-5.0, 5.0, 5.0]
    """
    if negative_slope is not None:
        alpha = negative_slope
    return K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """``x`` for positive inputs, ``negative_slope * x`` otherwise (Keras 3's default 0.2).

    >>> from rkeras import activations
    >>> activations.leaky_relu([-1.0, 2.0], negative_slope=0.5).tolist()
    [-0.5, 2.0]
    """
    return K.relu(x, alpha=negative_slope)


def relu6(x: Any) -> Any:
    """``min(max(x, 0), 6)``.

    >>> from rkeras import activations
    >>> activations.relu6([-1.0, 3.0, 9.0]).tolist()
    [0.0, 3.0, 6.0]
    """
    return K.relu(x, max_value=6.0)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    >>> from rkeras import activations
    >>> activations.elu([1.0, 0.0]).tolist()
    [1.0, 0.0]
    """
    return K.elu(x, alpha)


def selu(x: Any) -> Any:
    """Scaled ELU (``scale = 1.0507...``, ``alpha = 1.6732...``).

    >>> from rkeras import activations
    >>> round(float(activations.selu([1.0])[0]), 4)
    1.0507
    """
    return K.selu(x)


def softplus(x: Any) -> Any:
    """``log(exp(x) + 1)``, computed stably.

    >>> from rkeras import activations
    >>> round(float(activations.softplus([0.0])[0]), 4)
    0.6931
    """
    return K.softplus(x)


def silu(x: Any) -> Any:
    """Swish / SiLU: ``x * sigmoid(x)``.

    >>> from rkeras import activations
    >>> activations.swish([0.0]).tolist()
    [0.0]
    """
    return K.multiply(x, K.sigmoid(x))


swish = silu


def _erf(x: Any) -> Any:
    # erf from Numerical Recipes' Chebyshev fit of erfc (fractional error < 1.2e-7), in K ops.
    z = K.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    coeffs = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
              -1.13520398, 1.48851587, -0.82215223, 0.17087277)
    poly = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        poly = c + t * poly
    erfc = t * K.exp(K.negative(K.square(z)) + poly)
    return K.sign(x) * (1.0 - erfc)


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit ``x * Phi(x)``; with ``approximate=True`` the tanh form
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``. (The exact form uses an erf written
    in ``K`` ops, accurate to about 1e-7.)

    >>> from rkeras import activations
    >>> [round(v, 4) for v in activations.gelu([-1.0, 0.0, 1.0]).tolist()]
    [-0.1587, 0.0, 0.8413]
    """
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * K.pow(x, 3.0))
        return 0.5 * K.multiply(x, 1.0 + K.tanh(inner))
    return 0.5 * K.multiply(x, 1.0 + _erf(K.multiply(x, 1.0 / math.sqrt(2.0))))


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))``.

    >>> from rkeras import activations
    >>> round(float(activations.mish([1.0])[0]), 4)
    0.8651
    """
    return K.multiply(x, K.tanh(K.softplus(x)))


def hard_silu(x: Any) -> Any:
    """Hard swish: ``x * relu6(x + 3) / 6``.

    >>> from rkeras import activations
    >>> activations.hard_silu([-4.0, 0.0, 4.0]).tolist()
    [-0.0, 0.0, 4.0]
    """
    return K.multiply(x, K.relu(K.add(x, 3.0), max_value=6.0) / 6.0)


hard_swish = hard_silu


def exponential(x: Any) -> Any:
    """``exp(x)``.

    >>> from rkeras import activations
    >>> activations.exponential([0.0]).tolist()
    [1.0]
    """
    return K.exp(x)


def linear(x: Any) -> Any:
    """The identity (``activation=None``).

    >>> from rkeras import activations
    >>> activations.linear(3.0)
    3.0
    """
    return x
