"""A generator as one deterministic graph, and what its inputs are: what the exporters write out.

A family's sampling network is not always "latent in, picture out": StyleGAN
takes two latents, a mixing mask, truncation and noise images; MSG-GAN returns
every scale; a progressive G draws at its current resolution. A family's
``export_generator`` hook (:class:`~gluon_gan.training.family.ModelFamily`)
wraps its network in a :class:`PictureGraph` that takes only the inputs a user
supplies (no random operator inside: random draws do not export, and a
deterministic file can be fed the very inputs MXNet was) and returns the
pictures (N, C, H, W) in [-1, 1], and lists those inputs as :class:`GraphInput`.
"""
import dataclasses

from mxnet.gluon import HybridBlock

from .mxnet_fixes import inference_graph


@dataclasses.dataclass
class GraphInput:
    """One input of an exported generator: its name, shape without the batch axis, and what to feed it.

    ``kind`` tells a program using the file how to fill it: ``"latent"``
    (standard normal), ``"truncation"`` (psi per style layer: 1 none, 0 the
    average w) or ``"noise"`` (a standard-normal image); ``extra`` holds
    what else that kind needs (e.g. how many layers truncation applies to).
    """

    name: str
    shape: tuple
    kind: str
    description: str
    extra: dict = dataclasses.field(default_factory=dict)

    def record(self, batch=None):
        """The input as the exported file's metadata lists it (JSON-able; batch ``None``: any)."""
        return dict(name=self.name, shape=[batch] + [int(v) for v in self.shape], kind=self.kind,
                    description=self.description, **self.extra)


def latent_input(latent_shape):
    """The one input every generator has: ``z``, standard-normal latents of ``latent_shape``."""
    return GraphInput("z", tuple(latent_shape), "latent", "standard-normal latent codes, one per picture")


class PictureGraph(HybridBlock):
    """``pictures = finish(F, net(*prepare(F, *inputs)))``: a sampling network as one function of its inputs.

    ``net`` keeps its own parameters (their names and values), so the graph
    exports with the weights the run saved. ``prepare`` maps the exported
    inputs to the network's (default: as they are); ``finish`` maps the
    network's output to pictures in [-1, 1] (default: as it is). Both must work
    for ``F`` = ``mx.sym``, since the graph is traced. The trace runs under
    :func:`~gluon_gan.nn.mxnet_fixes.inference_graph`: layers that compute
    differently only to train (e.g. through ``col2im``) take their plain inference form.
    """

    def __init__(self, net, prepare=None, finish=None, **kwargs):
        super().__init__(**kwargs)
        self.net = net
        self._prepare, self._finish = prepare, finish

    def hybrid_forward(self, F, *inputs):
        with inference_graph():
            args = self._prepare(F, *inputs) if self._prepare else inputs
            out = self.net(*args)
            return self._finish(F, out) if self._finish else out
