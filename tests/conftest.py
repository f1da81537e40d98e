"""Shared test set-up: headless matplotlib, whatever the environment says."""

import os

os.environ["MPLBACKEND"] = "Agg"

import matplotlib

matplotlib.use("Agg")
