"""Gluon blocks that know nothing of GANs or runs: equalised and spectral layers, Keras padding,
MXNet 1.9.1 work-arounds, and the exact input gradients behind the gradient penalties.
"""
