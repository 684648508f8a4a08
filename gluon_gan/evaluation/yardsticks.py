"""How each data set's samples are judged: which features FID uses, how many samples, and what more to measure.

Data sets know nothing of evaluation; a run, ``evaluate.py`` and ``compare_families.py``
ask :func:`get_yardstick` for their data set's. A data set without its own
yardstick is judged by Inception-v3 FID/KID on 50,000 samples, as papers do.
Fashion-MNIST brings the project's own classifier (:mod:`.fashion_quality`).
"""
import os

from ..files import rundir
from .fashion_quality import FashionQualityLog, evaluate_generator, format_quality

YARDSTICKS = {}


def register_yardstick(cls):
    """Class decorator: ``cls`` judges the samples of runs on data set ``cls.dataset``."""
    YARDSTICKS[cls.dataset] = cls
    return cls


def get_yardstick(dataset):
    """The yardstick of data set ``dataset`` (the default one when it has none of its own)."""
    return YARDSTICKS.get(dataset, Yardstick)()


class Yardstick:
    """The default: FID/KID on Inception-v3 features, nothing beside them."""

    dataset = None
    features = "inception"   # evaluate.py's --features default
    num_fake = 50000         # evaluate.py's --num-fake default
    result_key = None        # where evaluate.py records :meth:`measure`'s numbers

    def epoch_callbacks(self, config):
        """Training callbacks that log this yardstick after every epoch; default none."""
        return []

    def measure(self, gen, num, seed=0, ctx=None, cache_dir=None, data_dir=None):
        """Numbers beyond FID/KID for a loaded generator, or ``None``."""
        return None

    def format(self, result):
        """:meth:`measure`'s numbers as printable lines."""
        return ""


@register_yardstick
class FashionMNISTYardstick(Yardstick):
    """The project's Fashion-MNIST classifier: Fréchet distance with its floor, classes covered, KL, confidence."""

    dataset = "fashion-mnist"
    features = "fashion"
    num_fake = 10000
    result_key = "fashion_quality"

    def epoch_callbacks(self, config):
        """``fashion_quality.csv`` after every epoch, unless ``--quality-samples 0``."""
        if not config.quality_samples:
            return []
        return [FashionQualityLog(os.path.join(config.out, rundir.FASHION_QUALITY), count=config.quality_samples,
                                  seed=config.seed, cache_dir=config.cache_dir, data_dir=config.data_dir)]

    def measure(self, gen, num, seed=0, ctx=None, cache_dir=None, data_dir=None):
        return evaluate_generator(gen, num=num, seed=seed, ctx=ctx, cache_dir=cache_dir, data_dir=data_dir)

    def format(self, result):
        return format_quality(result)
