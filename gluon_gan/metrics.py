"""The tutorial's binary accuracy, as an ``mx.metric.EvalMetric`` that stays on the device.

The tutorial's ``CustomMetric`` copied every batch to NumPy, stalling MXNet's
asynchronous engine each iteration; this one accumulates ``NDArray`` counts and
synchronises only when :meth:`get` is called (at log time).
"""
import mxnet as mx


class BinaryAccuracy(mx.metric.EvalMetric):
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

    def get(self):
        self._flush()
        return super().get()

    def get_global(self):
        self._flush()
        return super().get_global()

    def reset(self):
        self._correct = None
        super().reset()

    def reset_local(self):
        self._flush()
        super().reset_local()
