"""The model-family contract: everything that differs between GAN architectures, behind one small class.

The training loop (:class:`gluon_gan.training.GANTrainer`), checkpoints, sample
grids, ``generate.py``, ``evaluate.py`` and the report only talk to a family
through these hooks, so a new architecture is one module and one
``@register_family`` -- never edits scattered over the loop. Every hook has a
default that is right for a plain "latent in, image out; image in, score out"
pair (the tutorial's DCGAN), so a family overrides only what it changes:

* two latents and a crossover per image (StyleGAN's style mixing):
  :meth:`training_inputs` returns several G inputs;
* images at several scales (MSG-GAN): G returns a tuple, :meth:`real_inputs`
  makes the matching tuple from a real batch, D takes them all;
* a fade-in ``alpha`` and a growing resolution (progressive growing): state
  that lives in the networks (a non-trainable parameter) and in
  :meth:`state`/:meth:`load_state`, driven by a callback from :meth:`callbacks`;
* an EMA copy of G: :meth:`extra_networks` (saved and restored with every
  checkpoint) and a callback that updates it; :meth:`sampling_generator` picks it.
"""
import dataclasses

from ..data.images import ImageBatches
from ..errors import GluonGanError
from ..files import rundir
from ..nn.init import initialize


class ModelFamily:
    """Base class: subclasses set ``name`` and ``Options`` and implement the two ``build_*`` methods.

    ``image_shape`` is (channels, height, width) of the images G draws and D
    judges; ``options`` an instance of ``Options`` (the family's constructor
    arguments, each field a command-line flag); ``loss`` the run's
    :class:`~gluon_gan.training.losses.GANLoss` (its ``discriminator_norm`` says whether
    D may use BatchNorm); ``spectral_norm`` asks for a spectrally normalised D.
    """

    name = None
    Options = None         # a dataclass; field metadata {"help": ...} becomes the flag's help text
    defaults = {}          # common settings this family changes (batch_size, loss, lr, beta1, optimizer, epochs, ...)
    g_file, d_file = rundir.G_PARAMS, rundir.D_PARAMS
    summary = ""           # one line for --help and the docs
    fresh_g_noise = False  # True: G's update draws new latents instead of reusing the D step's fakes

    def __init__(self, image_shape, options=None, loss=None, spectral_norm=False):
        self.image_shape = tuple(int(v) for v in image_shape)
        self.options = options if options is not None or self.Options is None else self.Options()
        self.loss = loss
        self.spectral_norm = spectral_norm
        self.extras = {}   # file name -> extra network (e.g. an EMA generator), filled by extra_networks()

    # ---- shapes -------------------------------------------------------------------------------------
    @classmethod
    def train_shape(cls, options, data_shape):
        """The (C, H, W) this family trains at, given the data set's own (C, H, W); default: the data's."""
        return tuple(data_shape)

    @property
    def latent_shape(self):
        """Shape of one latent code z (without the batch axis)."""
        return (self.options.nz, 1, 1)

    # ---- networks -----------------------------------------------------------------------------------
    def build_generator(self):
        raise NotImplementedError

    def build_discriminator(self):
        raise NotImplementedError

    def initialize(self, net, ctx):
        """Initialise a freshly built network on ``ctx`` (default: the tutorial's Normal(0.02))."""
        initialize(net, ctx)
        return net

    def hybridize(self, net):
        """Hybridize a network for training and sampling (families whose graph changes override this)."""
        net.hybridize(static_alloc=True, static_shape=True)

    def extra_networks(self, netG, ctx):
        """``{file name: network}`` kept beside G and D in every checkpoint (default: none)."""
        return {}

    def sampling_generator(self, netG):
        """The network to draw pictures with: G itself, or its EMA copy where the family keeps one."""
        return netG

    def optimizer(self, role):
        """``(name, params)`` for role "g" or "d" when the family has its own optimiser, else ``None``.

        A loss that brings its own optimiser (WGAN, WGAN-GP) still wins; see
        :func:`gluon_gan.training.make_trainer`.
        """
        return self.defaults.get("optimizer")

    # ---- calling the networks -----------------------------------------------------------------------
    def training_inputs(self, z):
        """G's inputs for a training batch drawn from latent ``z`` (an NDArray on the batch's device)."""
        return (z,)

    def sampling_inputs(self, z, **sample_options):
        """G's inputs for inference from latent ``z`` (``sample_options``: e.g. StyleGAN's truncation)."""
        if sample_options:
            raise GluonGanError("%s takes no sampling options (got %s)" % (self.name, ", ".join(sorted(sample_options))))
        return (z,)

    def fake_inputs(self, g_out):
        """What D takes for G's output: a tuple (one image batch, or one per scale)."""
        return tuple(g_out) if isinstance(g_out, (list, tuple)) else (g_out,)

    def real_inputs(self, x):
        """What D takes for a real batch ``x`` (N, C, H, W) in [-1, 1]: a tuple like :meth:`fake_inputs`."""
        return (x,)

    def images(self, g_out):
        """The pictures (N, C, H, W) in G's output (the largest scale, the current resolution upsampled, ...)."""
        return g_out[-1] if isinstance(g_out, (list, tuple)) else g_out

    def regularizer(self, netD, reals, fakes):
        """A per-sample term added to D's loss besides the loss's own penalty (R1, drift, ...), or ``None``."""
        return None

    # ---- the run around the networks ----------------------------------------------------------------
    def make_batches(self, images, batch_size, seed=0, last_batch="discard", num_parts=1, part_index=0):
        """What the loop iterates over (``len()``, ``.epoch(epoch, ctx)``); override for a batch size per phase."""
        return ImageBatches(images, batch_size, seed=seed, last_batch=last_batch, num_parts=num_parts,
                            part_index=part_index)

    def callbacks(self, config):
        """Extra :class:`~gluon_gan.training.Callback`s the family needs (EMA update, growth schedule)."""
        return []

    def state(self):
        """JSON-able family state kept in the checkpoint (phase, alpha, ...); default none."""
        return {}

    def load_state(self, state):
        pass

    def figures(self, netG, out_prefix, seed=0, ctx=None):
        """Extra explanatory pictures for ``generate.py --figures``; returns the paths written."""
        return []

    # ---- the run record -----------------------------------------------------------------------------
    def record(self):
        """What the run record stores to rebuild this family: name, options and image shape."""
        return {"name": self.name, "options": dataclasses.asdict(self.options), "image_shape": list(self.image_shape)}


class PlainFamily(ModelFamily):
    """The hooks' defaults for networks built by hand: latent (nz, 1, 1) in, one image out."""

    name = "plain"

    def __init__(self, nz=100):
        super().__init__((0, 0, 0), options=None)
        self._nz = nz

    @property
    def latent_shape(self):
        return (self._nz, 1, 1)
