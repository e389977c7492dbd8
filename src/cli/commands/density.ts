/**
 * `grsd density FILE [--probes P] [--steps m] [--bins B] [--json]`: the spectral density of a
 * symmetric matrix (or batch) by stochastic Lanczos quadrature on the GPU: Gauss nodes and weights
 * per random probe and their average, binned.
 * @module
 */
import type { Command } from 'commander';
import { denseOperator } from '../../algorithms/operators.ts';
import { lanczosQuadrature, slqDensity, type QuadratureRule } from '../../algorithms/quadrature.ts';
import { denseCpuOperator, quadratureF64 } from '../../reference/eigsh.ts';
import { InvalidArgumentError } from '../../errors.ts';
import { backendOption, contextFor, describeBackend, type ComputeBackend } from '../backend.ts';
import type { CliIo } from '../io.ts';
import { loadMatrixBatch } from '../matrices.ts';
import { nonNegativeInt, positiveInt } from '../options.ts';

/** Version of the `grsd density --json` layout. */
export const DENSITY_SCHEMA_VERSION = 1;

interface DensityCliOptions {
  probes: number;
  steps: number;
  bins: number;
  seed: number;
  tensor?: string;
  json?: boolean;
  backend?: ComputeBackend;
}

/** Registers `density` on `program`. */
export function registerDensity(program: Command, io: CliIo): void {
  program
    .command('density')
    .description('spectral density of a symmetric matrix (or batch) by stochastic Lanczos quadrature on the GPU')
    .argument('<FILE>', '.npy / .npz / .safetensors holding one n×n matrix or a B×n×n batch')
    .option('--probes <P>', 'random probe vectors per matrix', positiveInt, 16)
    .option('--steps <m>', 'Lanczos steps per probe', positiveInt, 40)
    .option('--bins <B>', 'histogram bins over the range of the nodes', positiveInt, 40)
    .option('--seed <seed>', 'seed of the probes', nonNegativeInt, 0)
    .option('--tensor <name>', 'use this tensor of the file')
    .option('--json', 'print JSON: nodes and weights per probe and the binned density')
    .addOption(backendOption())
    .action(async (file: string, options: DensityCliOptions) => {
      const batch = await loadMatrixBatch(file, options.tensor);
      if (options.steps > batch.n) throw new InvalidArgumentError('--steps', `cannot exceed n = ${batch.n}, got ${options.steps}`);
      const ctx = await contextFor(options.backend);
      try {
        let rules: QuadratureRule[][];
        if (ctx) {
          using op = await denseOperator(ctx, { n: batch.n, batch: batch.batch, data: batch.data });
          rules = await lanczosQuadrature(op, { steps: options.steps, probes: options.probes, seed: options.seed });
        } else {
          rules = quadratureF64(denseCpuOperator(batch.n, batch.batch, batch.data), options.steps, options.probes, options.seed);
        }
        const results = rules.map((probes, b) => ({ name: batch.names[b]!, probes, density: slqDensity(probes, batch.n, options.bins) }));
        if (options.json) {
          io.out(
            JSON.stringify(
              {
                schemaVersion: DENSITY_SCHEMA_VERSION,
                n: batch.n,
                probes: options.probes,
                steps: options.steps,
                backend: describeBackend(ctx),
                results: results.map((r) => ({
                  name: r.name,
                  probes: r.probes.map((p) => ({
                    nodes: Array.from(p.nodes),
                    weights: Array.from(p.weights),
                    steps: p.steps,
                    breakdown: p.breakdown,
                  })),
                  edges: Array.from(r.density.edges),
                  counts: Array.from(r.density.counts),
                  density: Array.from(r.density.density),
                })),
              },
              null,
              2,
            ),
          );
        } else {
          const lines: string[] = [];
          for (const r of results) {
            lines.push(
              `${r.name}: n = ${batch.n}, ${options.probes} probes × ${options.steps} steps (estimated eigenvalue counts per bin)`,
            );
            const max = Math.max(...r.density.counts, 1e-300);
            r.density.counts.forEach((c, i) => {
              const bar = '#'.repeat(Math.round((40 * c) / max));
              lines.push(
                `  [${r.density.edges[i]!.toPrecision(4).padStart(11)}, ${r.density.edges[i + 1]!.toPrecision(4).padStart(11)})  ${c.toFixed(1).padStart(8)}  ${bar}`,
              );
            });
          }
          io.out(lines.join('\n'));
        }
      } finally {
        ctx?.dispose();
      }
    });
}
