"""One HTML page per run, readable offline: settings, curves, diversity, evaluations and the sample grids.

The page lives in the run directory and refers to the run's images by
relative paths, so it stays small and opens from disk (or from a copy of the
whole directory). ``embed=True`` inlines every image as base64 instead, for a
single file that can be mailed around. Nothing on the page comes from the
network: no scripts, fonts or style sheets from other hosts.
"""
import base64
import datetime
import html
import io
import os
import tempfile
import urllib.parse

from matplotlib.ticker import MaxNLocator

from ..evaluation import diversity
from ..evaluation.fashion_quality import read_quality_log
from ..files.atomic import atomic_write
from ..files.checkpoint import find_checkpoint, read_state
from ..errors import GluonGanError
from ..files.records import read_json
from .monitor import sample_grids
from ..files.plotting import plot_training_curves, plt
from ..files import rundir

REPORT_NAME = rundir.REPORT
# Rule of thumb for the warning line, not a test: see docs/evaluation.md.
COLLAPSE_RATIO, COLLAPSE_DUPLICATES = 0.5, 0.1

STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
figure { display: inline-block; margin: 4px; text-align: center; }
figcaption { font-size: 0.85em; color: #555; }
.warn { background: #fff3cd; border: 1px solid #e0c060; padding: 0.5em 1em; }
.thumbs img { width: 180px; image-rendering: pixelated; }
"""


def _load_json(path, what):
    """``path``'s JSON, or ``(None, why)`` when it is missing or damaged: a report still shows what it can."""
    if not os.path.exists(path):
        return None, None
    try:
        return read_json(path, what), None
    except GluonGanError as err:
        return None, str(err)


class _Page:
    def __init__(self, run_dir, embed, base_dir):
        self.run_dir, self.embed, self.base_dir = run_dir, embed, base_dir
        self.parts = []

    def add(self, text):
        self.parts.append(text)

    def image_src(self, path):
        """A relative URL to a file in the run, or its bytes as a data URI when embedding."""
        if self.embed:
            with open(path, "rb") as f:
                return _data_uri(f.read(), path)
        rel = os.path.relpath(path, self.base_dir).replace(os.sep, "/")
        return urllib.parse.quote(rel)

    def figure(self, src, caption, alt=None):
        self.add('<figure><img src="%s" alt="%s"><figcaption>%s</figcaption></figure>'
                 % (html.escape(src, quote=True), html.escape(alt or caption, quote=True), html.escape(caption)))


def _data_uri(data, name):
    mime = "image/gif" if name.endswith(".gif") else "image/png"
    return "data:%s;base64,%s" % (mime, base64.b64encode(data).decode("ascii"))


def _figure_png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _table(header, rows):
    out = ["<table><tr>%s</tr>" % "".join("<th>%s</th>" % html.escape(str(h)) for h in header)]
    for row in rows:
        out.append("<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(_fmt(v)) for v in row))
    out.append("</table>")
    return "\n".join(out)


def _fmt(value):
    if isinstance(value, float):
        return "%.4g" % value
    return "" if value is None else str(value)


def _diversity_plot(rows):
    epochs = [r["epoch"] for r in rows]
    fig, (ax_d, ax_dup) = plt.subplots(1, 2, figsize=(10, 3.2))
    ax_d.plot(epochs, [r["fake_pairwise"] for r in rows], "o-", label="samples: mean pairwise")
    ax_d.plot(epochs, [r["real_pairwise"] for r in rows], "--", color="tab:blue", label="real: mean pairwise")
    ax_d.plot(epochs, [r["fake_nn"] for r in rows], "o-", color="tab:orange", label="samples: nearest neighbour")
    ax_d.plot(epochs, [r["real_nn"] for r in rows], "--", color="tab:orange", label="real: nearest neighbour")
    ax_d.set_xlabel("epoch")
    ax_d.set_ylabel("RMS pixel distance")
    ax_d.set_ylim(bottom=0)
    ax_d.legend(fontsize=7)
    ax_dup.plot(epochs, [100 * r["fake_duplicates"] for r in rows], "o-", color="tab:red", label=rundir.SAMPLES)
    ax_dup.plot(epochs, [100 * r["real_duplicates"] for r in rows], "--", color="tab:red", label="real")
    ax_dup.set_xlabel("epoch")
    ax_dup.set_ylabel("near-duplicates (%)")
    ax_dup.set_ylim(-2, 102)
    ax_dup.legend(fontsize=7)
    for ax in (ax_d, ax_dup):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return _figure_png(fig)


def _settings_section(page, config):
    page.add("<h2>Settings</h2>")
    if config is None:
        page.add("<p>No readable config.json in this run.</p>")
        return
    page.add(_table(("setting", "value"), sorted(config.items())))


def _curves_section(page):
    page.add("<h2>Losses and discriminator accuracy</h2>")
    png = os.path.join(page.run_dir, rundir.CURVES)
    csv_path = os.path.join(page.run_dir, rundir.METRICS)
    if os.path.isfile(png):
        page.figure(page.image_src(png), rundir.CURVES)
    elif os.path.isfile(csv_path):  # a run still in progress: plot what is logged so far
        with tempfile.TemporaryDirectory() as tmp:
            plot_training_curves(csv_path, os.path.join(tmp, "curves.png"))
            with open(os.path.join(tmp, "curves.png"), "rb") as f:
                page.figure(_data_uri(f.read(), "curves.png"), "from metrics.csv (the run has not finished)")
    else:
        page.add("<p>No metrics.csv in this run.</p>")


def _diversity_section(page):
    page.add("<h2>Diversity (mode-collapse signal)</h2>")
    path = os.path.join(page.run_dir, rundir.DIVERSITY)
    rows = diversity.read_diversity(path) if os.path.isfile(path) else []
    if not rows:
        page.add("<p>No diversity.csv in this run.</p>")
        return
    last = rows[-1]
    page.add("<p>Per-pixel RMS distances between images in [-1, 1] (0 = identical). After epoch %d the samples "
             "are %.0f%% as spread out as real images, and %.0f%% of them have a near-duplicate "
             "(real images: %.0f%%).</p>" % (last["epoch"], 100 * last["pairwise_ratio"],
                                               100 * last["fake_duplicates"], 100 * last["real_duplicates"]))
    extra_duplicates = last["fake_duplicates"] - last["real_duplicates"]
    if last["pairwise_ratio"] < COLLAPSE_RATIO or extra_duplicates > COLLAPSE_DUPLICATES:
        page.add('<p class="warn">Possible mode collapse: the samples are much less varied than real images. '
                 'Look at the grids above.</p>')
    page.figure(_data_uri(_diversity_plot(rows), "diversity.png"), "diversity per epoch")
    page.add(_table(diversity.COLUMNS, [[r[c] for c in diversity.COLUMNS] for r in rows]))


def _evaluation_section(page):
    results, _ = _load_json(os.path.join(page.run_dir, rundir.EVALUATION), "evaluation results")
    if not isinstance(results, list) or not results:
        return
    page.add("<h2>FID and KID (scripts/evaluate.py)</h2>")
    rows = [[r.get("time"), r.get("features"), "yes" if r.get("comparable") else "no", r.get("num_fake"),
             r.get("num_real"), r.get("fid"), "%s ± %s" % (_fmt(r.get("kid_mean")), _fmt(r.get("kid_std"))),
             os.path.basename(str(r.get("params", "")))] for r in results if isinstance(r, dict)]
    page.add(_table(("when", "features", "comparable to published", "generated", "real", "FID", "KID", "params"),
                    rows))
    page.add("<p>Lower is better for both. Only Inception features with many samples (50k/10k) can be set beside "
             "published numbers; other features compare runs with each other only.</p>")


def _pictures_section(page):
    grids = sample_grids(os.path.join(page.run_dir, rundir.SAMPLES))
    gif = os.path.join(page.run_dir, rundir.PROGRESS_GIF)
    page.add("<h2>Samples for fixed noise</h2>")
    if not grids:
        page.add("<p>No sample grids in this run.</p>")
        return
    epoch, latest = grids[-1]
    page.figure(page.image_src(latest), "after epoch %d (latest)" % epoch)
    if os.path.isfile(gif):
        page.figure(page.image_src(gif), "training_progress.gif: every epoch")
    page.add('<h3>Every epoch</h3><div class="thumbs">')
    for epoch, path in grids:
        page.figure(page.image_src(path), "epoch %d" % epoch)
    page.add("</div>")


def _quality_section(page):
    """Fashion-MNIST's classifier yardstick per epoch (``fashion_quality.csv``), if the run wrote it."""
    rows = read_quality_log(os.path.join(page.run_dir, rundir.FASHION_QUALITY))
    if not rows:
        return
    page.add("<h2>Quality on Fashion-MNIST (the project's classifier)</h2>")
    page.add("<p>Fréchet distance in the classifier's features (lower is better; the floor is the test set's own "
             "distance at the same sample size), classes holding at least 5%% of the samples, KL of the predicted "
             "classes from uniform (0 = balanced) and mean top-class confidence. See docs/fashion_mnist.md.</p>")
    columns = ("epoch", "fid", "fid_floor", "classes_covered", "kl_uniform", "confidence")
    page.add(_table(columns, [[r[c] for c in columns] for r in rows]))


def _figures_section(page):
    """The family's explanatory figures (``figures/*.png``, written at the end of training), if any."""
    folder = os.path.join(page.run_dir, rundir.FIGURES)
    names = sorted(n for n in os.listdir(folder) if n.endswith(".png")) if os.path.isdir(folder) else []
    if not names:
        return
    page.add("<h2>What the parts of the model do</h2>")
    for name in names:
        page.figure(page.image_src(os.path.join(folder, name)), name)


def _what_section(page, config):
    """One line saying what the run is: family, data set, image shape, loss (from the run record)."""
    if not config:
        return
    family = config.get("family") or {"name": config.get("model", "dcgan")}
    shape = config.get("image_shape")
    page.add("<p>Model family <b>%s</b> on <b>%s</b>%s, loss %s.</p>" % (
        html.escape(str(family.get("name"))), html.escape(str(config.get("dataset") or "lfw")),
        html.escape(" at %s" % "x".join(map(str, shape))) if shape else "", html.escape(str(config.get("loss")))))


def write_report(run_dir, embed=False, path=None):
    """Write ``run_dir/report.html`` (or ``path``; image links are relative to where it is); returns its path."""
    if not os.path.isdir(run_dir):
        raise GluonGanError("run directory not found: %s" % run_dir)
    markers = (rundir.CONFIG, rundir.METRICS, rundir.SAMPLES, rundir.DIVERSITY, rundir.G_PARAMS)
    if not any(os.path.exists(os.path.join(run_dir, m)) for m in markers):
        raise GluonGanError("%s does not look like a training run (none of %s in it)"
                            % (run_dir, ", ".join(markers)))
    config, damaged = _load_json(os.path.join(run_dir, rundir.CONFIG), "run record")
    found = find_checkpoint(run_dir)
    state = read_state(found) if found else None
    out = path or os.path.join(run_dir, REPORT_NAME)
    page = _Page(run_dir, embed, os.path.dirname(os.path.abspath(out)))
    title = "gluon-gan run: %s" % os.path.basename(os.path.abspath(run_dir))
    page.add("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style></head><body>"
             % (html.escape(title), STYLE))
    page.add("<h1>%s</h1>" % html.escape(title))
    done = ("%d of %s epochs done, %d iterations" % (state.get("epoch", 0), (config or {}).get("epochs", "?"),
                                                      state.get("step", 0))) if state else "no checkpoint yet"
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    page.add("<p>%s. Report written %s.</p>" % (html.escape(done), when))
    if damaged:
        page.add("<p><b>The run record cannot be read:</b> %s. Its settings are missing below.</p>" % html.escape(damaged))
    _what_section(page, config)
    _pictures_section(page)
    _figures_section(page)
    _diversity_section(page)
    _quality_section(page)
    _evaluation_section(page)
    _curves_section(page)
    _settings_section(page, config)
    page.add("</body></html>\n")

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(page.parts))
    return atomic_write(out, write)
