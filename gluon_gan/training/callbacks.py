"""The hooks the epoch loop calls: logs, checkpoints, EMA updates and growth schedules are all callbacks.

Kept apart from the loop so that what plugs into it (model families, the
evaluation's per-epoch logs, the run's monitors) imports only this contract.
"""


class Callback:
    """Hooks the epoch loop calls; subclasses override what they need."""

    def on_train_begin(self, trainer, start_epoch):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_iteration(self, trainer, epoch, iteration, batch_size, d_loss, g_loss):
        pass

    def on_epoch_end(self, trainer, epoch):
        pass

    def on_train_end(self, trainer):
        pass


class StopTraining(Exception):
    """Raised by a callback to end :func:`fit` cleanly after the current iteration (a time budget, say)."""
