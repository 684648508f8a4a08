"""Peer timing (a measuring instrument, run by a Python with torch; never imported by gluon_gan): the PyTorch
dcgan example's generator (nz=100, ngf=64, 64x64), eval mode under torch.inference_mode(), random weights.
Prints "IMAGES_PER_S LATENCY_MS": images/s at BATCH over ITERS timed batches (after 3 warm-up ones), and the
median batch-1 latency over ITERS calls.

Usage: torch_generator.py BATCH ITERS"""
import statistics
import sys
import time

import torch
import torch.nn as nn

batch, iters = int(sys.argv[1]), int(sys.argv[2])
nz, ngf, nc = 100, 64, 3
torch.manual_seed(0)
netG = nn.Sequential(
    nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
    nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
    nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
    nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
    nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()).eval()
with torch.inference_mode():
    z = torch.randn(batch, nz, 1, 1)
    for _ in range(3):
        netG(z)
    start = time.perf_counter()
    for _ in range(iters):
        netG(torch.randn(batch, nz, 1, 1))
    rate = batch * iters / (time.perf_counter() - start)
    one = torch.randn(1, nz, 1, 1)
    for _ in range(3):
        netG(one)
    latencies = []
    for _ in range(iters):
        start = time.perf_counter()
        netG(torch.randn(1, nz, 1, 1))
        latencies.append(time.perf_counter() - start)
print("%.2f %.3f" % (rate, 1e3 * statistics.median(latencies)))
