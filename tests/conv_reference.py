"""NumPy float64 direct-loop references for convolution tests (shared by the conv test files)."""

import itertools

import numpy as np


def same_pads(length, k, s, d):
    """TF 'same' padding (before, after) of one axis."""
    out = -(-length // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - length, 0)
    return total // 2, total - total // 2


def pad_spatial(x, pads, value=0.0):
    return np.pad(x, [(0, 0)] + list(pads) + [(0, 0)], constant_values=value)


def ref_conv(x, kernel, strides, dilation, padding):
    """Direct loop over kernel offsets, float64, channels_last; kernel (*ks, Cin, Cout)."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    if padding == "same":
        pads = [same_pads(x.shape[1 + i], ks[i], strides[i], dilation[i]) for i in range(rank)]
    elif padding == "causal":
        pads = [((ks[0] - 1) * dilation[0], 0)]
    else:
        pads = [(0, 0)] * rank
    xp = pad_spatial(x, pads)
    out_len = [(xp.shape[1 + i] - (ks[i] - 1) * dilation[i] - 1) // strides[i] + 1
               for i in range(rank)]
    out = np.zeros((x.shape[0], *out_len, kernel.shape[-1]))
    for offs in itertools.product(*[range(k) for k in ks]):
        idx = tuple(slice(o * dilation[i], o * dilation[i] + (out_len[i] - 1) * strides[i] + 1,
                          strides[i]) for i, o in enumerate(offs))
        window = xp[(slice(None),) + idx]
        out += window @ kernel[offs]
    return out
