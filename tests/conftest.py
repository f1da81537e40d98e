"""Shared test set-up: headless matplotlib, whatever the environment says."""

import os

os.environ["MPLBACKEND"] = "Agg"
# One BLAS thread: the maths works on 2x2 matrices, where OpenBLAS's threads only wait
# for each other (scipy's L-BFGS-B took seconds per run on the loaded 2-core machine).
# Set before numpy is imported, as OpenBLAS reads it once.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import matplotlib

matplotlib.use("Agg")
