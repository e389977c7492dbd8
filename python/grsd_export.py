"""Write a GRSD run directory from a PyTorch training loop (the format of docs/formats.md).

Copy this file next to your training script (``npx grsd export-snippet > grsd_export.py``), then::

    from grsd_export import GrsdRun, Loss

    run = GrsdRun("runs/mlp", model, X_probe, Y_probe, lr=0.1, loss=Loss.mse())  # torch.nn.MSELoss()
    for step in range(steps + 1):
        if step in checkpoint_steps:
            run.checkpoint(step)          # kernel (or Jacobian), residual, per-layer kernels, manifest
        if step < steps:
            optimizer.zero_grad(); loss_fn(model(X), Y).backward(); optimizer.step()

and analyse it with ``npx grsd analyze runs/mlp --json analysis.json --report report.html``.

What is written at each checkpoint i (all float32 .npy unless ``dtype=numpy.float64``):

* ``k<i>.npy``: the empirical NTK K = J Jᵀ on the probe set, n × n with n = N·C (N probe points, C
  outputs), or ``j<i>.npy``: the Jacobian J, n × P, with ``save="jacobian"``;
* ``e<i>.npy``: the residual e = f(X) − Y, flattened row-major (n values);
* ``k<i>_l<j>.npy``: with ``layers="modules"`` (or ``"parameters"``), K_l = J_l J_lᵀ per module (or
  per parameter tensor); Σ_l K_l = K;
* ``manifest.json``, rewritten (atomically) after every checkpoint, with ``timeScale`` derived from
  the loss definition and the learning rate (see :class:`Loss`) and ``probePoints`` = N;
* ``export.json``: how the run was exported (loss definition, the time-scale derivation, the
  Jacobian backend), for provenance; grsd does not read it.

The Jacobian is computed with ``torch.func`` (PyTorch ≥ 2.0), else ``functorch`` with
``torch.nn.utils.stateless.functional_call`` (PyTorch 1.13), else plain autograd (one backward
pass per output entry: fine for the small probe sets GRSD uses). The model is evaluated in
``eval()`` mode (its mode is restored afterwards), on the device of its parameters.

Only numpy and torch are needed. Tested on PyTorch 1.13 (Debian 12's python3-torch) by grsd's
test suite (test/python/test_grsd_export.py and test/package/pytorch.test.ts).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

__all__ = ["GrsdRun", "Loss", "jacobian", "jacobian_backends"]
__version__ = "1"


@dataclass(frozen=True)
class Loss:
    """The training loss L = κ·Σᵢ eᵢ² over the n = N·C residual entries, which fixes the time scale.

    ``reduction`` says what Σᵢ eᵢ² is divided by: ``"mean"`` over all N·C entries (torch's
    ``MSELoss()``, ``reduction="mean"``), ``"batchmean"`` over the N points (summed over the C
    outputs), ``"sum"`` by nothing; ``half`` multiplies by ½.

    Full-batch gradient descent with learning rate η on L moves the parameters by −η·Jᵀ·∂L/∂f =
    −2κη·Jᵀe, so the residual on the (training = probe) set moves by e ← e − 2κη·K·e to first order.
    grsd reads this as M = timeScale·K with t in optimizer steps, hence ``timeScale = 2κη``:

    ==============================================  =========  =================
    loss                                             κ          timeScale
    ==============================================  =========  =================
    ``MSELoss()`` : mean over N·C, no ½              1/(N·C)    2η/(N·C)
    ``mean`` with ½                                  1/(2N·C)   η/(N·C)
    ``batchmean`` with ½ : ‖e‖²/(2N), grsd's loss    1/(2N)     η/N
    ``batchmean``, no ½                              1/N        2η/N
    ``MSELoss(reduction="sum")``                     1          2η
    ``sum`` with ½                                   1/2        η
    ==============================================  =========  =================
    """

    reduction: str
    half: bool = False

    def __post_init__(self) -> None:
        if self.reduction not in ("mean", "batchmean", "sum"):
            raise ValueError(f'Loss.reduction must be "mean", "batchmean" or "sum", got {self.reduction!r}')

    @staticmethod
    def mse() -> "Loss":
        """torch.nn.MSELoss() (reduction="mean"): Σ e² / (N·C)."""
        return Loss("mean")

    @staticmethod
    def mse_sum() -> "Loss":
        """torch.nn.MSELoss(reduction="sum"): Σ e²."""
        return Loss("sum")

    @staticmethod
    def half_mean() -> "Loss":
        """‖e‖²/(2N), the convention of grsd's own loss column (and of the training lab)."""
        return Loss("batchmean", half=True)

    def kappa(self, points: int, outputs: int) -> float:
        """κ of L = κ·Σ e² for N = ``points`` and C = ``outputs``."""
        divisor = {"mean": points * outputs, "batchmean": points, "sum": 1}[self.reduction]
        return (0.5 if self.half else 1.0) / divisor

    def time_scale(self, lr: float, points: int, outputs: int) -> float:
        """timeScale = 2κη: M = timeScale·K per optimizer step."""
        return 2.0 * self.kappa(points, outputs) * lr

    def describe(self) -> str:
        half = "½·" if self.half else ""
        over = {"mean": "/(N·C)", "batchmean": "/N", "sum": ""}[self.reduction]
        return f"L = {half}Σ e²{over}"


# --------------------------------------------------------------------------- Jacobians


def _named_trainable(model: torch.nn.Module) -> Dict[str, torch.Tensor]:
    return {name: p for name, p in model.named_parameters() if p.requires_grad}


def _functional(kind: str) -> Tuple[Callable, Callable, Callable]:
    """(functional_call, jacrev, vmap) for "torch.func" or "functorch"."""
    if kind == "torch.func":
        from torch.func import functional_call, jacrev, vmap  # PyTorch >= 2.0

        return functional_call, jacrev, vmap
    from functorch import jacrev, vmap  # PyTorch 1.13
    from torch.nn.utils.stateless import functional_call

    return functional_call, jacrev, vmap


def jacobian_backends() -> List[str]:
    """The Jacobian backends available here, preferred first (``"autograd"`` always is)."""
    found = []
    for kind in ("torch.func", "functorch"):
        try:
            _functional(kind)
            found.append(kind)
        except ImportError:
            pass
    return found + ["autograd"]


def jacobian(model: torch.nn.Module, X: torch.Tensor, backend: str = "auto") -> Tuple[Dict[str, torch.Tensor], torch.Tensor, str]:
    """J of the model's outputs on X with respect to its trainable parameters.

    Returns ``(blocks, outputs, backend)``: ``blocks[name]`` is the n × numel(parameter) block of J
    for each trainable parameter (n = N·C, rows in the row-major order of ``outputs``), ``outputs``
    is model(X) (N × ...), and ``backend`` the one used.
    """
    available = jacobian_backends()
    kind = available[0] if backend == "auto" else backend
    if kind not in available:
        raise ValueError(f"Jacobian backend {backend!r} is not available here (available: {', '.join(available)})")
    params = _named_trainable(model)
    if not params:
        raise ValueError("the model has no trainable parameters (requires_grad=True)")
    N = X.shape[0]
    if kind == "autograd":
        outputs = model(X)
        flat = outputs.reshape(-1)
        rows: Dict[str, List[torch.Tensor]] = {name: [] for name in params}
        for i in range(flat.shape[0]):
            grads = torch.autograd.grad(flat[i], list(params.values()), retain_graph=True, allow_unused=True)
            for (name, p), g in zip(params.items(), grads):
                rows[name].append((torch.zeros_like(p) if g is None else g).reshape(-1))
        blocks = {name: torch.stack(r) for name, r in rows.items()}
        return blocks, outputs.detach(), kind
    functional_call, jacrev, vmap = _functional(kind)
    buffers = {name: b for name, b in model.named_buffers()}
    detached = {name: p.detach() for name, p in params.items()}

    def one(p: Dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional_call(model, {**p, **buffers}, (x.unsqueeze(0),)).squeeze(0)

    per_point = vmap(jacrev(one), in_dims=(None, 0))(detached, X)  # name -> [N, *out, *param]
    with torch.no_grad():
        outputs = model(X)
    n = outputs.numel()
    if n % N != 0:
        raise ValueError(f"model(X) has {n} entries for N = {N} probe points")
    blocks = {name: per_point[name].reshape(n, -1) for name in params}
    return blocks, outputs, kind


def _layer_groups(names: Sequence[str], layers: str) -> List[Tuple[str, List[str]]]:
    if layers == "parameters":
        return [(name, [name]) for name in names]
    groups: Dict[str, List[str]] = {}
    for name in names:
        groups.setdefault(name.rsplit(".", 1)[0] if "." in name else name, []).append(name)
    return list(groups.items())


# --------------------------------------------------------------------------- the run writer


def _check_shapes(outputs: torch.Tensor, Y: torch.Tensor, N: int) -> int:
    """Returns C; refuses output/target shapes that torch would silently broadcast."""
    if tuple(outputs.shape) != tuple(Y.shape):
        hint = ""
        if outputs.dim() == Y.dim() + 1 and outputs.shape[-1] == 1 and tuple(outputs.shape[:-1]) == tuple(Y.shape):
            hint = f" (f(X) − Y would broadcast to {tuple(outputs.shape[:-1]) + tuple(Y.shape[-1:])}, N² values): reshape Y to {tuple(outputs.shape)}, e.g. Y.unsqueeze(-1)"
        elif Y.dim() == outputs.dim() + 1 and Y.shape[-1] == 1 and tuple(Y.shape[:-1]) == tuple(outputs.shape):
            hint = f" (f(X) − Y would broadcast to N² values): reshape Y to {tuple(outputs.shape)}, e.g. Y.squeeze(-1)"
        raise ValueError(f"model(X) has shape {tuple(outputs.shape)} but Y has shape {tuple(Y.shape)}: they must be equal{hint}")
    if outputs.dim() == 0 or outputs.shape[0] != N:
        raise ValueError(f"model(X) must have the N = {N} probe points as its first dimension, got shape {tuple(outputs.shape)}")
    return int(outputs.numel() // N)


class GrsdRun:
    """Writes a GRSD run directory checkpoint by checkpoint (see the module documentation).

    Args:
        out: the run directory (created; refused if it already holds a manifest, unless ``overwrite``).
        model: the network; its trainable parameters define J.
        X: the probe inputs, N × ...; fixed for the whole run (the GRSD operator lives on it).
        Y: the probe targets, the shape of model(X) exactly (N × C, or N for one output).
        lr: the learning rate η of the optimizer steps that ``t`` counts.
        loss: the training loss (:class:`Loss`); with ``lr`` it fixes ``timeScale`` = 2κη.
        points: N in the loss normalization when it differs from the probe set's size (e.g. the
            probe set is a subset of the full-batch training set); default N = len(X).
        save: ``"kernel"`` (n × n per checkpoint) or ``"jacobian"`` (n × P; keeps small eigenvalues).
        layers: ``None``, ``"modules"`` or ``"parameters"``: also write per-layer kernels.
        jacobian_backend: ``"auto"``, ``"torch.func"``, ``"functorch"`` or ``"autograd"``.
        dtype: numpy dtype of the files (float32, or float64).
        overwrite: replace a run already in ``out``.
    """

    def __init__(
        self,
        out: Union[str, os.PathLike],
        model: torch.nn.Module,
        X: torch.Tensor,
        Y: torch.Tensor,
        *,
        lr: float,
        loss: Loss,
        points: Optional[int] = None,
        save: str = "kernel",
        layers: Optional[str] = None,
        jacobian_backend: str = "auto",
        dtype: type = np.float32,
        overwrite: bool = False,
    ) -> None:
        if not isinstance(loss, Loss):
            raise TypeError("loss must be a grsd_export.Loss, e.g. Loss.mse() for torch.nn.MSELoss()")
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {lr!r}")
        if save not in ("kernel", "jacobian"):
            raise ValueError(f'save must be "kernel" or "jacobian", got {save!r}')
        if layers not in (None, "modules", "parameters"):
            raise ValueError(f'layers must be None, "modules" or "parameters", got {layers!r}')
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}")
        if not isinstance(X, torch.Tensor) or not isinstance(Y, torch.Tensor):
            raise TypeError("X and Y must be torch tensors")
        if X.dim() == 0 or Y.dim() == 0 or X.shape[0] != Y.shape[0]:
            raise ValueError(f"X and Y must have the N probe points as their first dimension, got {tuple(X.shape)} and {tuple(Y.shape)}")
        self.out = Path(out)
        if (self.out / "manifest.json").exists() and not overwrite:
            raise FileExistsError(f"{self.out} already holds a run (manifest.json); choose another directory or pass overwrite=True")
        self.out.mkdir(parents=True, exist_ok=True)
        self.model, self.X, self.Y = model, X, Y
        self.N = int(X.shape[0])
        self.lr, self.loss, self.save, self.layers = float(lr), loss, save, layers
        self.points = self.N if points is None else int(points)
        if self.points < 1:
            raise ValueError(f"points must be a positive integer, got {points!r}")
        self.jacobian_backend = jacobian_backend
        self.dtype = np.dtype(dtype)
        self.entries: List[dict] = []
        self.C: Optional[int] = None
        self.time_scale: Optional[float] = None
        self.backend_used: Optional[str] = None

    def checkpoint(self, t: float) -> dict:
        """Computes and writes checkpoint ``t`` (optimizer steps, strictly increasing); returns its manifest entry."""
        if not math.isfinite(t) or (self.entries and not t > self.entries[-1]["t"]):
            previous = self.entries[-1]["t"] if self.entries else None
            raise ValueError(f"t must be finite and greater than the previous checkpoint's ({previous}), got {t!r}")
        was_training = self.model.training
        self.model.eval()
        try:
            blocks, outputs, backend = jacobian(self.model, self.X, self.jacobian_backend)
        finally:
            self.model.train(was_training)
        C = _check_shapes(outputs, self.Y, self.N)
        if self.C is None:
            self.C = C
            self.time_scale = self.loss.time_scale(self.lr, self.points, C)
        n = self.N * C
        e = (outputs.detach() - self.Y.to(outputs.device, outputs.dtype)).reshape(-1).double().cpu().numpy()
        J = {name: b.detach().double().cpu().numpy() for name, b in blocks.items()}
        for name, b in J.items():
            if b.shape[0] != n:
                raise ValueError(f"the Jacobian block of {name} has {b.shape[0]} rows but the residual has n = N·C = {n}")
        full = np.concatenate(list(J.values()), axis=1)
        if not (np.isfinite(full).all() and np.isfinite(e).all()):
            raise ValueError(f"checkpoint t={t}: the Jacobian or the residual has non-finite values")
        i = len(self.entries)
        entry: dict = {"t": float(t), "residual": f"e{i}.npy"}
        self._save(f"e{i}.npy", e)
        if self.save == "jacobian":
            entry["jacobian"] = f"j{i}.npy"
            self._save(entry["jacobian"], full)
        else:
            entry["kernel"] = f"k{i}.npy"
            self._save(entry["kernel"], full @ full.T)
        if self.layers is not None:
            entry["layers"] = []
            for j, (_, names) in enumerate(_layer_groups(list(J), self.layers)):
                block = np.concatenate([J[name] for name in names], axis=1)
                entry["layers"].append(f"k{i}_l{j}.npy")
                self._save(entry["layers"][-1], block @ block.T)
        self.entries.append(entry)
        self.backend_used = backend
        self._write_json("manifest.json", self.manifest())
        self._write_json("export.json", self._provenance())
        return entry

    def manifest(self) -> dict:
        """The manifest as written (docs/formats.md)."""
        if self.time_scale is None:
            raise RuntimeError("no checkpoint written yet")
        return {"timeScale": self.time_scale, "probePoints": self.N, "checkpoints": list(self.entries)}

    def _provenance(self) -> dict:
        kappa = self.loss.kappa(self.points, self.C or 1)
        return {
            "generator": {"name": "grsd_export.py", "version": __version__, "torch": torch.__version__},
            "loss": {"reduction": self.loss.reduction, "half": self.loss.half, "definition": self.loss.describe()},
            "points": self.points,
            "outputs": self.C,
            "learningRate": self.lr,
            "timeScale": {"value": self.time_scale, "derivation": f"2·κ·η with κ = {kappa!r} ({self.loss.describe()}, N = {self.points}, C = {self.C})"},
            "jacobianBackend": self.backend_used,
            "layers": self.layers,
            "dtype": self.dtype.name,
        }

    def _save(self, name: str, array: np.ndarray) -> None:
        np.save(self.out / name, np.ascontiguousarray(array, dtype=self.dtype))

    def _write_json(self, name: str, value: dict) -> None:
        tmp = self.out / f".{name}.tmp"
        tmp.write_text(json.dumps(value, indent=2) + "\n")
        os.replace(tmp, self.out / name)
