"""The run directory's file names, defined once: what ``--out`` holds and every tool reads back.

Training writes these, ``generate.py``/``evaluate.py``/``report.py`` read them; one name
changed here moves writer and readers together. The table in the README describes them.
"""
CONFIG = "config.json"                       # the run record: settings, family, data set, versions
G_PARAMS = "Generator.params"                # the latest weights, the tutorial's file names
D_PARAMS = "discriminator.params"
EMA_PARAMS = "Generator_ema.params"          # the EMA generator, for families that keep one
CHECKPOINT = "checkpoint"                    # checkpoint/, swapped in through checkpoint.tmp/ and checkpoint.old/
METRICS = "metrics.csv"                      # one row per logged iteration
DIVERSITY = "diversity.csv"                  # the mode-collapse signal per epoch
FASHION_QUALITY = "fashion_quality.csv"      # the Fashion-MNIST yardstick per epoch
CURVES = "training_curves.png"
SAMPLES = "samples"                          # samples/epoch_NNN.png
PROGRESS_GIF = "training_progress.gif"
FIGURES = "figures"                          # a family's explanatory figures (StyleGAN's mixing, noise, truncation)
EVALUATION = "evaluation.json"               # evaluate.py's results
REPORT = "report.html"
SNAPSHOTS = "snapshots"                      # --keep-every
TENSORBOARD = "tensorboard"                  # --tensorboard


def sample_grid_name(epoch):
    """``epoch_NNN.png``: the grid drawn after ``epoch`` (1-based) epochs."""
    return "epoch_%03d.png" % epoch
