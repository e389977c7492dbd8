/**
 * `grsd density FILE [--probes P] [--steps m] [--bins B] [--json [FILE]]`: the spectral density of
 * a symmetric matrix (or batch) by stochastic Lanczos quadrature on the GPU: Gauss nodes and
 * weights per random probe and their average, binned.
 * @module
 */
import { Option, type Command } from 'commander';
import { denseOperator } from '../../algorithms/operators.ts';
import { lanczosQuadrature, slqDensity, type QuadratureRule } from '../../algorithms/quadrature.ts';
import { denseCpuOperator, quadratureF64 } from '../../reference/eigsh.ts';
import { InvalidArgumentError } from '../../errors.ts';
import { backendOption, chooseBackend, describeBackend, type ComputeBackend } from '../backend.ts';
import type { CliIo } from '../io.ts';
import { loadMatrixBatch } from '../matrices.ts';
import { intInRange, numberInRange, OPTION_LIMITS, positiveInt, seedOption } from '../options.ts';
import { checkJsonDestination, jsonOption, writeJsonOutput, writeTextReport, type JsonOptionValue } from '../output.ts';
import { createProgress } from '../progress.ts';
import { lanczosWork } from '../workEstimates.ts';
import { PROGRESS_ENTRIES } from './eig.ts';

/** Version of the `grsd density --json` layout. */
export const DENSITY_SCHEMA_VERSION = 1;

interface DensityCliOptions {
  probes: number;
  steps: number;
  bins: number;
  spacing: 'linear' | 'log';
  smoothing: 'gaussian' | 'none';
  sigma?: number;
  seed: number;
  tensor?: string;
  json?: JsonOptionValue;
  backend?: ComputeBackend;
}

/** The largest of `values` (a loop: spreading 130 000 values into Math.max overflows the stack). */
function largest(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  return max;
}

/** Registers `density` on `program`. */
export function registerDensity(program: Command, io: CliIo): void {
  program
    .command('density')
    .description('spectral density of a symmetric matrix (or batch) by stochastic Lanczos quadrature on the GPU')
    .argument('<FILE>', '.npy / .npz / .safetensors holding one n×n matrix or a B×n×n batch')
    .option('--probes <P>', `random probe vectors per matrix (1 … ${OPTION_LIMITS.probes})`, intInRange(1, OPTION_LIMITS.probes), 16)
    .option('--steps <m>', 'Lanczos steps per probe (at most n)', positiveInt, 40)
    .option('--bins <B>', `histogram bins over the range of the nodes (1 … ${OPTION_LIMITS.bins})`, intInRange(1, OPTION_LIMITS.bins), 40)
    .addOption(
      new Option('--spacing <s>', 'bins of equal width in λ, or in log₁₀ λ (for spectra over decades)')
        .choices(['linear', 'log'])
        .default('linear'),
    )
    .addOption(
      new Option('--smoothing <s>', 'spread each Gauss node as a Gaussian (smooth density) or bin the nodes as they are')
        .choices(['gaussian', 'none'])
        .default('gaussian'),
    )
    .option('--sigma <σ>', 'Gaussian width in the binning coordinate (default: node range / steps)', numberInRange(0, Number.MAX_VALUE))
    .option('--seed <seed>', 'seed of the probes (0 … 2^32 − 1)', seedOption, 0)
    .option('--tensor <name>', 'use this tensor of the file')
    .addOption(jsonOption('JSON: nodes and weights per probe and the binned density'))
    .addOption(backendOption())
    .action(async (file: string, options: DensityCliOptions) => {
      checkJsonDestination(options.json);
      const progress = createProgress(io, 'grsd density');
      const batch = await loadMatrixBatch(file, options.tensor);
      if (options.steps > batch.n) throw new InvalidArgumentError('--steps', `cannot exceed n = ${batch.n}, got ${options.steps}`);
      const large = batch.batch * batch.n * batch.n * options.probes >= PROGRESS_ENTRIES;
      if (large)
        progress.start(2, `read ${file}: ${batch.batch} matrix(es) of n = ${batch.n}; ${options.probes} probes × ${options.steps} steps`);
      const { ctx, selection } = await chooseBackend(
        options.backend,
        io,
        lanczosWork({
          description: `density, ${options.probes} probes × ${options.steps} steps on ${batch.batch} matrix(es) of n = ${batch.n}`,
          n: batch.n,
          batch: batch.batch,
          data: batch.data,
          steps: options.steps,
          lanes: options.probes,
        }),
      );
      try {
        let rules: QuadratureRule[][];
        if (ctx) {
          using op = await denseOperator(ctx, { n: batch.n, batch: batch.batch, data: batch.data });
          rules = await lanczosQuadrature(op, { steps: options.steps, probes: options.probes, seed: options.seed });
        } else {
          rules = quadratureF64(denseCpuOperator(batch.n, batch.batch, batch.data), options.steps, options.probes, options.seed);
        }
        const results = rules.map((probes, b) => ({
          name: batch.names[b]!,
          probes,
          density: slqDensity(probes, batch.n, {
            bins: options.bins,
            spacing: options.spacing,
            smoothing: options.smoothing,
            ...(options.sigma === undefined ? {} : { sigma: options.sigma }),
          }),
        }));
        if (large) progress.update(2, 'done');
        await writeJsonOutput(io, options.json, {
          schemaVersion: DENSITY_SCHEMA_VERSION,
          n: batch.n,
          probes: options.probes,
          steps: options.steps,
          backend: describeBackend(ctx, selection),
          results: results.map((r) => ({
            name: r.name,
            probes: r.probes.map((p) => ({ nodes: p.nodes, weights: p.weights, steps: p.steps, breakdown: p.breakdown })),
            spacing: r.density.spacing,
            smoothing: r.density.smoothing,
            sigma: r.density.sigma,
            edges: r.density.edges,
            counts: r.density.counts,
            density: r.density.density,
            below: r.density.below,
            above: r.density.above,
          })),
        });
        const lines: string[] = [];
        for (const r of results) {
          lines.push(`${r.name}: n = ${batch.n}, ${options.probes} probes × ${options.steps} steps (estimated eigenvalue counts per bin)`);
          const max = Math.max(largest(r.density.counts), 1e-300);
          r.density.counts.forEach((c, i) => {
            const bar = '#'.repeat(Math.round((40 * c) / max));
            lines.push(
              `  [${r.density.edges[i]!.toPrecision(4).padStart(11)}, ${r.density.edges[i + 1]!.toPrecision(4).padStart(11)})  ${c.toFixed(1).padStart(8)}  ${bar}`,
            );
          });
        }
        writeTextReport(io, options.json, lines.join('\n'));
      } finally {
        progress.stop();
        ctx?.dispose();
      }
    });
}
