/**
 * `grsd doctor [--json [FILE]] [--backend NAME]`: acquires a device the way the library does,
 * prints the routes tried, the adapter chosen, core/compatibility mode, the effective limits, and
 * runs the reduction self-test against the float64 reference.
 * @module
 */
import { Option, type Command } from 'commander';
import { doctorReport, type DoctorReport } from '../../diagnostics/doctor.ts';
import { createNodeGpuContext, NODE_BACKENDS, type NodeBackend } from '../../node/dawn.ts';
import { LIMIT_NAMES } from '../../gpu/limits.ts';
import { EXIT } from '../exitCodes.ts';
import type { CliIo } from '../io.ts';
import { checkJsonDestination, jsonOption, writeJsonOutput, writeTextReport, type JsonOptionValue } from '../output.ts';
import { GRSD_VERSION } from '../../version.ts';

/** Renders the human-readable doctor report. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`grsd ${report.grsdVersion} doctor (${report.runtime})`);
  lines.push('Adapters tried:');
  for (const a of report.attempts) lines.push(`  ${a.ok ? 'ok  ' : 'fail'} ${a.route}: ${a.detail}`);
  const ad = report.adapter;
  const name = [ad.vendor, ad.architecture, ad.device].filter(Boolean).join(' ') || 'unnamed adapter';
  lines.push(`Chosen: ${name} — ${ad.description || 'no description'}`);
  lines.push(`  route ${ad.route}, ${report.mode} mode${ad.software ? ', software adapter' : ''}, workgroup size ${report.workgroupSize}`);
  lines.push('Effective limits:');
  for (const key of LIMIT_NAMES) lines.push(`  ${key.padEnd(36)} ${report.limits[key]}`);
  lines.push('Self-test (batchedDot on the GPU vs the float64 reference, error within γ_n·Σ|xy|):');
  for (const c of report.selfTest.checks) {
    lines.push(
      `  ${c.passed ? 'ok  ' : 'FAIL'} n=${String(c.n).padEnd(7)} batch=${String(c.batch).padEnd(3)} error/bound ${c.errorToBound.toExponential(2)}`,
    );
  }
  lines.push(report.selfTest.passed ? 'Result: OK' : 'Result: SELF-TEST FAILED');
  return lines.join('\n');
}

/** Registers `doctor` on `program`. */
export function registerDoctor(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description('report the WebGPU adapters tried and chosen, core/compatibility mode, effective limits, and run a GPU self-test')
    .addOption(jsonOption('the report as JSON'))
    .addOption(
      new Option(
        '--backend <name>',
        'backend to use (default: $GRSD_BACKEND or auto: core GPU, then compatibility on OpenGL ES, then SwiftShader)',
      ).choices(NODE_BACKENDS),
    )
    .action(async (options: { json?: JsonOptionValue; backend?: NodeBackend }) => {
      checkJsonDestination(options.json);
      using ctx = await createNodeGpuContext(options.backend ? { backend: options.backend } : {});
      const report = await doctorReport(ctx, GRSD_VERSION, `Node ${process.version}`);
      await writeJsonOutput(io, options.json, report);
      writeTextReport(io, options.json, formatDoctorReport(report));
      io.setExitCode(report.selfTest.passed ? EXIT.OK : EXIT.FAILURE);
    });
}
