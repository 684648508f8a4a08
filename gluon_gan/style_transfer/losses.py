"""Style-transfer losses, each a mean so that its weight means the same at any image size.

With F the (C, M) matrix of one layer's features (C channels, M = H*W positions):

- Gram matrix   G = F F^T / M           (each entry is a mean over the M positions)
- content loss  mean over C*M of (F - P)^2               (P: the content image's features)
- style loss    mean over C*C of (G - A)^2               (A: the style image's Gram matrix)
- variation     mean over neighbouring pixel pairs of |x_p - x_q|^power

Gatys et al. use sums: L_content = 1/2 sum (F - P)^2 and E_l = sum (G' - A')^2 / (4 C^2 M^2)
with unnormalised G' = F F^T. Ours are L_content * 2 / (C M) and E_l * 4, so the
paper's content/style ratio alpha/beta becomes (alpha C M / 2) / (beta / 4) here.
See docs/style_transfer.md.
"""
import mxnet as mx


def gram(features, symmetric_loss=False):
    """(N, C, H, W) -> (N, C, C): channel co-activations averaged over the H*W positions.

    One image (what style transfer optimises) goes through ``FullyConnected``
    with the features as both data and weight: oneDNN's inner product computes
    F F^T, forward and backward, about 1.6x faster on a CPU than ``batch_dot``
    (docs/performance.md), which still serves batches.

    ``symmetric_loss=True`` (one image): the backward takes one matrix product
    instead of two, for a loss whose dL/dG is symmetric. In general dL/dF =
    (dG + dGᵀ) F / M; under the style loss dG = 2 (G - A) / C² with symmetric
    G and A, so dL/dF = 2 dG F / M: the inner product's data gradient alone,
    doubled (``2G - stop(G)`` has the value G and twice its gradient), with the
    weight side detached. A third less Gram work per step; a loss that is not
    symmetric in G needs the default.
    """
    n, c, h, w = features.shape
    if n == 1:
        flat = features.reshape((c, h * w))
        weight = flat.detach() if symmetric_loss else flat
        g = mx.nd.FullyConnected(flat, weight, num_hidden=c, no_bias=True) / (h * w)
        if symmetric_loss:
            g = 2 * g - g.detach()
        return g.reshape((1, c, c))
    flat = features.reshape((n, c, h * w))
    return mx.nd.batch_dot(flat, flat, transpose_b=True) / (h * w)


def content_loss(features, target):
    """Mean squared difference of one layer's features from the content image's."""
    return mx.nd.mean(mx.nd.square(features - target))


def style_loss(features, target_gram):
    """Mean squared difference of the Gram matrix from the style target's (all C*C entries)."""
    return mx.nd.mean(mx.nd.square(gram(features, symmetric_loss=True) - target_gram))


def variation_loss(image, power=2):
    """Mean ``|difference|**power`` over all horizontally and vertically neighbouring pixel pairs.

    Zero for a flat image. ``power=2`` is smooth (what L-BFGS wants);
    ``power=1`` is the classic total variation, which keeps edges sharper.
    """
    down = mx.nd.slice_axis(image, axis=2, begin=1, end=None) - mx.nd.slice_axis(image, axis=2, begin=0, end=-1)
    right = mx.nd.slice_axis(image, axis=3, begin=1, end=None) - mx.nd.slice_axis(image, axis=3, begin=0, end=-1)
    if power == 2:
        down, right = mx.nd.square(down), mx.nd.square(right)
    else:
        down, right = mx.nd.abs(down) ** power, mx.nd.abs(right) ** power
    return (mx.nd.sum(down) + mx.nd.sum(right)) / (down.size + right.size)
