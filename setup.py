from setuptools import find_packages, setup

setup(
    name="gluon-gan",
    version="0.1.0",
    description="The Gluon DCGAN tutorial (LFW faces), ported faithfully and grown into a small GAN library",
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["gluon_gan", "gluon_gan.*"]),
    python_requires=">=3.8,<3.12",
    # mxnet itself is an extra: GPU users install mxnet-cu112/-cu117/..., which provide the same
    # `mxnet` module under another distribution name; a hard requirement would pull the CPU build over it.
    # pillow comes with matplotlib; tqdm draws the progress bars (terminal detection, ETA, resumed downloads)
    install_requires=["numpy>=1.17,<1.24", "matplotlib>=3.3", "pillow", "tqdm>=4.62"],
    extras_require={
        "cpu": ["mxnet==1.9.1"],
        "tensorboard": ["tensorboardX>=2.6"],  # train.py --tensorboard (not mxboard: it fails with today's protobuf)
        # style transfer's L-BFGS (scipy.optimize); 1.15 is the last series that accepts numpy 1.23
        "style": ["scipy>=1.10,<1.16"],
        # scripts/export.py --onnx: MXNet's own exporter (mx.onnx) needs it; 1.14.1 installs beside numpy 1.23
        # and brings onnx.reference, the pure-numpy runtime the export tests check the files with
        "onnx": ["onnx==1.14.1"],
        # so the --tensorboard, the style-transfer L-BFGS and the ONNX export tests run in CI
        "test": ["pytest>=7", "tensorboardX>=2.6", "scipy>=1.10,<1.16", "onnx==1.14.1"],
    },
)
