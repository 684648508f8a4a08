"""The tutorial's binary accuracy, as an ``mx.metric.EvalMetric`` that stays on the device.

The tutorial's ``CustomMetric`` copied every batch to NumPy, stalling MXNet's
asynchronous engine each iteration; this one accumulates ``NDArray`` counts and
synchronises only when :meth:`get` is called (at log time).
"""
import mxnet as mx


class _DeviceMetric(mx.metric.EvalMetric):
    """An ``EvalMetric`` whose counts stay on the device until read; subclasses define :meth:`_flush`
    (fold pending counts into ``sum_metric``/``num_inst``) and :meth:`_drop` (forget them)."""

    def get(self):
        self._flush()
        return super().get()

    def get_global(self):
        self._flush()
        return super().get_global()

    def reset(self):
        self._drop()
        super().reset()

    def reset_local(self):
        self._flush()
        super().reset_local()


class BinaryAccuracy(_DeviceMetric):
    """Fraction of discriminator outputs on the right side of ``threshold``.

    A prediction counts as "real" when ``pred > threshold``. For logits the
    threshold is 0 (the tutorial used 0.5 on logits, a bug).
    """

    def __init__(self, threshold=0.0, name="binary_accuracy", **kwargs):
        self.threshold = threshold
        self._correct = None
        super().__init__(name, **kwargs)

    def update(self, labels, preds):
        for label, pred in zip(labels, preds):
            label = label.reshape((-1,)).as_in_context(pred.context)
            hits = ((pred.reshape((-1,)) > self.threshold) == label).sum()
            hits = hits.as_in_context(mx.cpu())
            self._correct = hits if self._correct is None else self._correct + hits
            self.num_inst += label.shape[0]
            self.global_num_inst += label.shape[0]

    def _flush(self):
        if self._correct is not None:
            value = float(self._correct.asscalar())
            self.sum_metric += value
            self.global_sum_metric += value
            self._correct = None

    def _drop(self):
        self._correct = None


class PairwiseAccuracy(_DeviceMetric):
    """For critics with unbounded scores: the fraction of (real, fake) pairs ranked the right way round.

    Within each ``update``, every sample labelled 1 is compared with every
    sample labelled 0; a pair counts as right when the real one scores higher
    (ties count half). It is the batch's ROC AUC: 0.5 means the critic cannot
    tell real from fake, 1 that it separates them. A threshold would mean
    nothing here, since a constant added to the critic changes neither loss.
    Like :class:`BinaryAccuracy`, it stays on the device until :meth:`get`.
    """

    def __init__(self, name="pairwise_accuracy", **kwargs):
        self._right = self._pairs = None
        super().__init__(name, **kwargs)

    def update(self, labels, preds):
        label = mx.nd.concat(*[l.reshape((-1,)).as_in_context(preds[0].context) for l in labels], dim=0)
        pred = mx.nd.concat(*[p.reshape((-1,)) for p in preds], dim=0)
        real, fake = label.reshape((-1, 1)), (1 - label).reshape((1, -1))
        diff = pred.reshape((-1, 1)) - pred.reshape((1, -1))  # [i, j] = pred_i - pred_j
        right = (real * fake * ((diff > 0) + 0.5 * (diff == 0))).sum().as_in_context(mx.cpu())
        pairs = (real.sum() * fake.sum()).as_in_context(mx.cpu())
        self._right = right if self._right is None else self._right + right
        self._pairs = pairs if self._pairs is None else self._pairs + pairs

    def _flush(self):
        if self._right is not None:
            right, pairs = float(self._right.asscalar()), int(round(float(self._pairs.asscalar())))
            self.sum_metric += right
            self.global_sum_metric += right
            self.num_inst += pairs
            self.global_num_inst += pairs
            self._right = self._pairs = None

    def _drop(self):
        self._right = self._pairs = None
