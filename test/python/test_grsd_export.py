"""Tests of python/grsd_export.py (run by test/package/pytorch.test.ts, or directly:
``python3 -m unittest discover -s test/python``).

* timeScale: for a linear model the residual after one gradient step is exactly
  e₁ = e₀ − timeScale·K·e₀, so each loss definition's derived timeScale is checked against a real
  optimizer step (float64), with the wrong definition as the negative control;
* the Jacobian backends (torch.func, functorch, autograd) agree, and "auto" prefers the first;
* per-layer kernels add up to K; files and manifest are what docs/formats.md says;
* shape mismatches that torch would broadcast (N×1 against N) are refused with a clear message.
"""

import json
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from grsd_export import GrsdRun, Loss, jacobian, jacobian_backends  # noqa: E402

torch.set_default_dtype(torch.float64)

# (Loss, the same loss written in torch) for every reduction × ½.
LOSSES = {
    "MSELoss()": (Loss.mse(), lambda out, y: torch.nn.MSELoss()(out, y)),
    "½·mean": (Loss("mean", half=True), lambda out, y: 0.5 * torch.nn.MSELoss()(out, y)),
    "½‖e‖²/N": (Loss.half_mean(), lambda out, y: 0.5 * ((out - y) ** 2).sum() / out.shape[0]),
    "‖e‖²/N": (Loss("batchmean"), lambda out, y: ((out - y) ** 2).sum() / out.shape[0]),
    "MSELoss(sum)": (Loss.mse_sum(), lambda out, y: torch.nn.MSELoss(reduction="sum")(out, y)),
    "½·sum": (Loss("sum", half=True), lambda out, y: 0.5 * ((out - y) ** 2).sum()),
}


def mlp(d: int, c: int, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(d, 7), torch.nn.Tanh(), torch.nn.Linear(7, c))


class TimeScale(unittest.TestCase):
    N, D, C, LR = 9, 4, 3, 0.05

    def one_step(self, definition: Loss, loss_fn, outputs: int = C):
        """(e₁ − e₀, timeScale·K·e₀) for one SGD step of a linear model (exact linearization)."""
        torch.manual_seed(3)
        X, Y = torch.randn(self.N, self.D), torch.randn(self.N, outputs)
        model = torch.nn.Linear(self.D, outputs)
        with tempfile.TemporaryDirectory() as tmp:
            run = GrsdRun(tmp, model, X, Y, lr=self.LR, loss=definition, dtype=np.float64)
            run.checkpoint(0)
            K = np.load(Path(tmp) / "k0.npy")
            e0 = np.load(Path(tmp) / "e0.npy")
            time_scale = json.loads((Path(tmp) / "manifest.json").read_text())["timeScale"]
        optimizer = torch.optim.SGD(model.parameters(), lr=self.LR)
        optimizer.zero_grad()
        loss_fn(model(X), Y).backward()
        optimizer.step()
        e1 = (model(X) - Y).detach().reshape(-1).numpy()
        return e1 - e0, time_scale * K @ e0

    def test_each_loss_definition_gives_the_step_of_its_optimizer(self):
        for name, (definition, loss_fn) in LOSSES.items():
            with self.subTest(loss=name):
                change, predicted = self.one_step(definition, loss_fn)
                self.assertLess(np.linalg.norm(change + predicted) / np.linalg.norm(change), 1e-12)

    def test_the_wrong_definition_is_off_by_its_factor(self):
        # Trained with MSELoss() (κ = 1/(NC)) but declared as ½‖e‖²/N (κ = 1/(2N)): C/2 too large.
        change, predicted = self.one_step(Loss.half_mean(), LOSSES["MSELoss()"][1])
        self.assertAlmostEqual(np.linalg.norm(predicted) / np.linalg.norm(change), self.C / 2, places=10)

    def test_closed_forms(self):
        N, C, lr = 50, 10, 0.1
        self.assertAlmostEqual(Loss.mse().time_scale(lr, N, C), 2 * lr / (N * C))
        self.assertAlmostEqual(Loss.half_mean().time_scale(lr, N, C), lr / N)
        self.assertAlmostEqual(Loss.mse_sum().time_scale(lr, N, C), 2 * lr)
        with self.assertRaisesRegex(ValueError, "reduction"):
            Loss("average")


class Jacobians(unittest.TestCase):
    def test_backends_agree_and_auto_prefers_the_functional_ones(self):
        available = jacobian_backends()
        self.assertEqual(available[-1], "autograd")
        expected_first = "torch.func" if hasattr(torch, "func") else "functorch"
        self.assertEqual(available[0], expected_first)
        model = mlp(5, 3, 1)
        X = torch.randn(6, 5)
        reference, outputs, used = jacobian(model, X, "autograd")
        self.assertEqual(used, "autograd")
        self.assertEqual(tuple(reference["0.weight"].shape), (18, 35))
        for backend in available[:-1] + ["auto"]:
            blocks, out, used = jacobian(model, X, backend)
            self.assertEqual(used, available[0] if backend == "auto" else backend)
            self.assertTrue(torch.allclose(out, outputs, atol=0, rtol=1e-14))
            for name in reference:
                self.assertLess((blocks[name] - reference[name]).abs().max().item(), 1e-12, f"{backend} {name}")
        with self.assertRaisesRegex(ValueError, "not available"):
            jacobian(model, X, "jax")

    def test_one_output_per_point(self):
        model = mlp(4, 1, 2)
        X = torch.randn(5, 4)
        one = torch.nn.Sequential(model, torch.nn.Flatten(0))  # outputs [N]
        blocks, out, _ = jacobian(one, X)
        self.assertEqual(tuple(out.shape), (5,))
        self.assertEqual(blocks["0.0.weight"].shape[0], 5)


class RunDirectory(unittest.TestCase):
    def test_files_manifest_layers_and_order(self):
        model = mlp(4, 2, 5)
        X, Y = torch.randn(8, 4), torch.randn(8, 2)
        with tempfile.TemporaryDirectory() as tmp:
            run = GrsdRun(Path(tmp) / "run", model, X, Y, lr=0.1, loss=Loss.mse(), layers="modules")
            run.checkpoint(0)
            run.checkpoint(3)
            out = Path(tmp) / "run"
            manifest = json.loads((out / "manifest.json").read_text())
            self.assertEqual(manifest["probePoints"], 8)
            self.assertAlmostEqual(manifest["timeScale"], 2 * 0.1 / 16)
            self.assertEqual([c["t"] for c in manifest["checkpoints"]], [0, 3])
            entry = manifest["checkpoints"][1]
            self.assertEqual(entry, {"t": 3.0, "residual": "e1.npy", "kernel": "k1.npy", "layers": ["k1_l0.npy", "k1_l1.npy"]})
            K = np.load(out / "k1.npy")
            self.assertEqual((K.dtype, K.shape), (np.dtype(np.float32), (16, 16)))
            layers = sum(np.load(out / name).astype(np.float64) for name in entry["layers"])
            self.assertLess(np.abs(layers - K).max() / np.abs(K).max(), 1e-6)
            per_parameter = GrsdRun(out, model, X, Y, lr=0.1, loss=Loss.mse(), layers="parameters", overwrite=True)
            self.assertEqual(len(per_parameter.checkpoint(0)["layers"]), 4)
            provenance = json.loads((out / "export.json").read_text())
            self.assertEqual(provenance["loss"]["definition"], "L = Σ e²/(N·C)")
            with self.assertRaisesRegex(ValueError, "greater than the previous"):
                per_parameter.checkpoint(0)
            with self.assertRaises(FileExistsError):
                GrsdRun(out, model, X, Y, lr=0.1, loss=Loss.mse())

    def test_jacobian_files(self):
        model = mlp(3, 2, 6)
        X, Y = torch.randn(4, 3), torch.randn(4, 2)
        with tempfile.TemporaryDirectory() as tmp:
            entry = GrsdRun(tmp, model, X, Y, lr=0.1, loss=Loss.mse(), save="jacobian").checkpoint(0)
            self.assertEqual(np.load(Path(tmp) / entry["jacobian"]).shape, (8, 3 * 7 + 7 + 7 * 2 + 2))

    def test_shape_mismatches_are_refused(self):
        X = torch.randn(6, 4)
        column = mlp(4, 1, 7)  # outputs [N, 1]
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(ValueError, r"shape \(6, 1\) but Y has shape \(6,\).*broadcast.*unsqueeze"):
                GrsdRun(tmp, column, X, torch.randn(6), lr=0.1, loss=Loss.mse()).checkpoint(0)
            flat = torch.nn.Sequential(column, torch.nn.Flatten(0))  # outputs [N]
            with self.assertRaisesRegex(ValueError, r"shape \(6,\) but Y has shape \(6, 1\).*squeeze"):
                GrsdRun(tmp, flat, X, torch.randn(6, 1), lr=0.1, loss=Loss.mse()).checkpoint(0)
            with self.assertRaisesRegex(ValueError, "first dimension"):
                GrsdRun(tmp, column, X, torch.randn(5, 1), lr=0.1, loss=Loss.mse())
            with self.assertRaisesRegex(TypeError, "Loss.mse"):
                GrsdRun(tmp, column, X, torch.randn(6, 1), lr=0.1, loss="mse")
            with self.assertRaisesRegex(ValueError, "lr"):
                GrsdRun(tmp, column, X, torch.randn(6, 1), lr=0.0, loss=Loss.mse())


if __name__ == "__main__":
    unittest.main()
