"""Recomputes the shell energies of a GRSD run in float64 with numpy and compares them with
grsd's analysis JSON (`grsd analyze RUN --json FILE`, docs/formats.md).

For each checkpoint: λ = timeScale·eig(K) (numpy.linalg.eigh of the kernel file), c = Uᵀe, each
λ binned by the JSON's grid exactly as docs/math.md defines the shells (α = ⌊(ln λ − ln λ_ref)/h⌋
clamped to the window, λ below the floor to ∅), E_α = Σ_{k∈α} c_k², ⊥ = ‖e‖² − Σ_k c_k² over the
computed rank. Allowed difference per shell: 1e-9·‖e‖² (float64 eigensolvers) plus the energy of
eigenvalues within the grid's boundary tolerance of a shell edge (their shell is a gauge choice).

Usage: python3 test/python/check_energies.py RUN_DIR ANALYSIS_JSON [TIME_SCALE_FACTOR]
prints a JSON report; TIME_SCALE_FACTOR (default 1) multiplies the manifest's timeScale in the
numpy computation, for the negative control (a wrong time scale must not pass).
"""

import json
import sys
from pathlib import Path

import numpy as np

run, analysis = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
manifest = json.loads((run / "manifest.json").read_text())
grid = analysis["grid"]
count, h, ref, alpha_min, floor = grid["count"], grid["width"], grid["lambdaRef"], grid["alphaMin"], grid["floor"]
tolerance_ln = grid["boundaryTolerance"]
time_scale = manifest["timeScale"] * (float(sys.argv[3]) if len(sys.argv) > 3 else 1.0)
N = manifest["probePoints"]

report = {"timeScale": time_scale, "analysisTimeScale": analysis["timeScale"], "checkpoints": []}
for entry, result in zip(manifest["checkpoints"], analysis["checkpoints"]):
    K = np.load(run / entry["kernel"]).astype(np.float64)
    e = np.load(run / entry["residual"]).astype(np.float64)
    theta, U = np.linalg.eigh(K)
    order = np.argsort(theta)[::-1]
    rank = len(result["eigenvalues"])
    lam, c = time_scale * theta[order][:rank], (U[:, order][:, :rank]).T @ e
    energy = np.zeros(count + 2)
    flagged = np.zeros(count + 2)
    for lk, ck in zip(lam, c):
        if not (lk >= floor and lk > 0):
            index, near = count, False
        else:
            x = (np.log(lk) - np.log(ref)) / h
            index = int(min(count - 1, max(0, np.floor(x) - alpha_min)))
            frac = x - np.floor(x)
            near = min(frac, 1 - frac) * h < tolerance_ln
        energy[index] += ck * ck
        if near:
            flagged[index] += ck * ck
            flagged[max(0, index - 1)] += ck * ck
            flagged[min(count - 1, index + 1)] += ck * ck
    norm2 = float(e @ e)
    energy[count + 1] = norm2 - float(c @ c)
    grsd = np.array(result["energy"], dtype=np.float64)
    allowed = 1e-9 * norm2 + flagged
    report["checkpoints"].append(
        {
            "t": entry["t"],
            "rank": rank,
            "n": int(e.size),
            "residualNorm2": norm2,
            "maxDifference": float(np.abs(grsd - energy).max()),
            "maxExcess": float((np.abs(grsd - energy) - allowed).max()),
            "lossDifference": abs(result["loss"] - norm2 / (2 * N)),
            "eigenvalueDifference": float(np.abs(np.array(result["eigenvalues"]) - lam).max() / lam.max()),
            "shellsWithEnergy": int((energy[:count] > 1e-12 * norm2).sum()),
        }
    )
print(json.dumps(report, indent=2))
