/**
 * `grsd eig FILE [--k K] [--which largest|smallest|both] [--steps m] [--json [FILE]]`: eigenvalues
 * of a dense symmetric matrix or a batch (B×n×n) from a .npy/.npz/safetensors file, by Lanczos on
 * the GPU (or the float64 reference with `--backend cpu`).
 * @module
 */
import { Option, type Command } from 'commander';
import { eigsh } from '../../algorithms/eigsh.ts';
import { denseOperator } from '../../algorithms/operators.ts';
import { denseCpuOperator, eigshF64, resolveEigenOptions, type EigenOptions, type EigenResult, type Which } from '../../reference/eigsh.ts';
import { backendOption, chooseBackend, describeBackend, type ComputeBackend } from '../backend.ts';
import type { CliIo } from '../io.ts';
import { loadMatrixBatch } from '../matrices.ts';
import { numberInRange, positiveInt, seedOption } from '../options.ts';
import { checkJsonDestination, jsonOption, writeJsonOutput, writeTextReport, type JsonOptionValue } from '../output.ts';
import { createProgress } from '../progress.ts';
import { lanczosWork } from '../workEstimates.ts';

/** Version of the `grsd eig --json` layout. */
export const EIG_SCHEMA_VERSION = 1;

interface EigCliOptions {
  k: number;
  which: Which;
  steps?: number;
  tolerance?: number;
  blockSize?: number;
  maxVectors?: number;
  verify: boolean;
  seed: number;
  tensor?: string;
  json?: JsonOptionValue;
  backend?: ComputeBackend;
}

/** Inputs from this many matrix entries on (B·n²) get progress lines: reading and solving take seconds. */
export const PROGRESS_ENTRIES = 2 ** 22;

function formatText(file: string, names: string[], n: number, results: EigenResult[], backend: Record<string, unknown>): string {
  const lines = [
    `${file}: n = ${n}, ${results.length} matrix(es), backend ${backend.kind === 'gpu' ? `${backend.route} (${backend.mode})` : 'cpu float64'}`,
  ];
  results.forEach((r, b) => {
    const verification = r.certified ? 'certified' : r.verifications > 0 ? 'ended on its step count' : 'not run';
    lines.push(`${names[b]}: ${r.steps} Lanczos steps${r.breakdown ? ' (invariant subspace reached)' : ''}; verification ${verification}`);
    lines.push('     #   eigenvalue              error bound   converged');
    r.eigenvalues.forEach((v, i) => {
      lines.push(
        `  ${String(i).padStart(4)}   ${v.toPrecision(12).padEnd(22)}  ${r.errorBounds[i]!.toExponential(2).padEnd(12)}  ${r.converged[i] ? 'yes' : 'no'}`,
      );
    });
  });
  return lines.join('\n');
}

/** Registers `eig` on `program`. */
export function registerEig(program: Command, io: CliIo): void {
  program
    .command('eig')
    .description('eigenvalues (with error bounds) of a symmetric matrix or a batch of them, by batched Lanczos on the GPU')
    .argument('<FILE>', '.npy / .npz / .safetensors holding one n×n matrix, one B×n×n batch, or several n×n matrices')
    .option('--k <K>', 'eigenvalues per matrix', positiveInt, 6)
    .addOption(new Option('--which <end>', 'which end of the spectrum').choices(['largest', 'smallest', 'both']).default('largest'))
    .option('--steps <m>', 'fixed number of Lanczos block steps, no restart (default: adaptive until converged)', positiveInt)
    .option('--tolerance <tol>', 'convergence: error bound ≤ tol·max|λ|, in (0, 1) (default 1e-4)', numberInRange(0, 1))
    .option('--block-size <p>', 'vectors applied together: multiplicities up to p found deterministically (default 1)', positiveInt)
    .option(
      '--max-vectors <m>',
      'memory budget: basis vectors per matrix, kept by thick restarts (default min(max(2k+20+p, 128), n+2p))',
      positiveInt,
    )
    .option('--no-verify', 'skip the check from a random block that no eigenvalue was missed')
    .option('--seed <seed>', 'seed of the random start vector (0 … 2^32 − 1)', seedOption, 0)
    .option('--tensor <name>', 'use this tensor of the file')
    .addOption(jsonOption('JSON { schemaVersion, n, results: [{ eigenvalues, errorBounds, converged, steps }] }'))
    .addOption(backendOption())
    .action(async (file: string, options: EigCliOptions) => {
      checkJsonDestination(options.json);
      const progress = createProgress(io, 'grsd eig');
      const batch = await loadMatrixBatch(file, options.tensor);
      const large = batch.batch * batch.n * batch.n >= PROGRESS_ENTRIES;
      if (large) progress.start(2, `read ${file}: ${batch.batch} matrix(es) of n = ${batch.n}; solving`);
      const eigenOptions: EigenOptions = {
        k: options.k,
        which: options.which,
        seed: options.seed,
        ...(options.steps === undefined ? {} : { steps: options.steps }),
        ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
        ...(options.blockSize === undefined ? {} : { blockSize: options.blockSize }),
        ...(options.maxVectors === undefined ? {} : { maxVectors: options.maxVectors }),
        verify: options.verify,
      };
      const resolved = resolveEigenOptions(eigenOptions, batch.n);
      const { ctx, selection } = await chooseBackend(
        options.backend,
        io,
        lanczosWork({
          description: `eig k = ${options.k} on ${batch.batch} matrix(es) of n = ${batch.n}`,
          n: batch.n,
          batch: batch.batch,
          data: batch.data,
          // Work estimate: a converging run takes about 2k + 20 block steps (the first restart cycle).
          steps: resolved.fixedSteps ?? Math.min(batch.n, 2 * resolved.k + 20),
          lanes: 1,
        }),
      );
      try {
        let results: EigenResult[];
        if (ctx) {
          using op = await denseOperator(ctx, { n: batch.n, batch: batch.batch, data: batch.data });
          using solution = await eigsh(op, eigenOptions);
          results = solution.results;
        } else {
          results = eigshF64(denseCpuOperator(batch.n, batch.batch, batch.data), eigenOptions);
        }
        if (large) progress.update(2, 'solved');
        const backend = describeBackend(ctx, selection);
        await writeJsonOutput(io, options.json, {
          schemaVersion: EIG_SCHEMA_VERSION,
          n: batch.n,
          which: options.which,
          backend,
          results: results.map((r, b) => ({
            name: batch.names[b],
            eigenvalues: r.eigenvalues,
            errorBounds: r.errorBounds,
            converged: r.converged,
            steps: r.steps,
            applies: r.applies,
            restarts: r.restarts,
            stopReason: r.stopReason,
            breakdown: r.breakdown,
            verifications: r.verifications,
            certified: r.certified,
          })),
        });
        writeTextReport(io, options.json, formatText(file, batch.names, batch.n, results, backend));
      } finally {
        progress.stop();
        ctx?.dispose();
      }
    });
}
