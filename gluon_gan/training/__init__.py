"""What runs inside the loop: the tutorial's two-stage step, the epoch loop, losses, the family contract.

- :mod:`.loop`: :class:`GANTrainer` (one D update, then one G update) and :func:`fit`
- :mod:`.family`: :class:`ModelFamily`, the hooks through which the loop meets any architecture
- :mod:`.callbacks`: :class:`Callback`, :class:`StopTraining`
- :mod:`.sampling`: latents and the images G draws from them
- :mod:`.losses`, :mod:`.accuracy`, :mod:`.ema`, :mod:`.balance`, :mod:`.distributed`, :mod:`.launcher`

The loop knows the :class:`ModelFamily` contract, never a family: importing it loads none.
"""
from .callbacks import Callback, StopTraining  # noqa: F401
from .family import ModelFamily, PlainFamily  # noqa: F401
from .loop import GANTrainer, fit, make_trainer  # noqa: F401
from .sampling import sample  # noqa: F401
