"""Trains a tiny MLP on scikit-learn's digits (bundled with scikit-learn: no download) with
full-batch gradient descent on torch.nn.MSELoss(), exporting a GRSD run with
python/grsd_export.py the way a user's training script would.

Usage: python3 test/python/digits_run.py OUT_DIR
"""

import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from grsd_export import GrsdRun, Loss  # noqa: E402

N, HIDDEN, LR, STEPS = 32, 12, 1.0, 100
CHECKPOINTS = [0, 3, 10, 30, 100]

torch.manual_seed(0)
images, labels = load_digits(return_X_y=True)
X = torch.tensor(images[:N] / 16.0, dtype=torch.float32)
Y = torch.nn.functional.one_hot(torch.tensor(labels[:N]), 10).to(torch.float32)
model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, 10))
loss_fn = torch.nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=LR)

run = GrsdRun(sys.argv[1], model, X, Y, lr=LR, loss=Loss.mse(), layers="modules")
losses = []
for step in range(STEPS + 1):
    if step in CHECKPOINTS:
        run.checkpoint(step)
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    losses.append(loss.item())
    if step < STEPS:
        loss.backward()
        optimizer.step()
print(f"digits: N={N}, C=10, P={sum(p.numel() for p in model.parameters())}, loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
      f"backend {run.backend_used}, timeScale {run.time_scale:.6g}")
