"""``--init-generator`` / ``--init-discriminator``: start a new run from given weights instead of Normal(0.02).

For instance from the networks the tutorial saved with ``save_params``: the
files are read through :func:`gluon_gan.files.checkpoint.load_parameters`, which
takes both namings (see :mod:`gluon_gan.files.legacy`) and explains a mismatch in
one line. A resumed run ignores them: its checkpoint holds newer weights.
"""
import logging

from ..files.checkpoint import load_parameters

log = logging.getLogger(__name__)


def load_initial_weights(config, netG, netD, ctx):
    """Replace the fresh initialisation of ``netG``/``netD`` by the files ``config`` names, if any."""
    for path, net, role in ((config.init_generator, netG, "generator"),
                            (config.init_discriminator, netD, "discriminator")):
        if path:
            load_parameters(net, path, ctx=ctx)
            log.info("%s starts from the weights in %s", role, path)
