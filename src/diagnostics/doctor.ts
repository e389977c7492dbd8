/**
 * The report `grsd doctor` prints: the routes tried, the adapter chosen, core or compatibility
 * mode, the effective limits, and the self-test. Platform-neutral (the CLI acquires the context).
 * @module
 */
import type { AdapterAttempt } from '../errors.ts';
import type { AdapterDescription, GpuContext } from '../gpu/context.ts';
import type { EffectiveLimits } from '../gpu/limits.ts';
import { runSelfTest, type SelfTestResult } from './selfTest.ts';

/** Version of the doctor report layout (`grsd doctor --json`). */
export const DOCTOR_SCHEMA_VERSION = 1;

/** What `grsd doctor --json` prints. */
export interface DoctorReport {
  /** Version of this layout ({@link DOCTOR_SCHEMA_VERSION}). */
  readonly schemaVersion: number;
  /** grsd's version. */
  readonly grsdVersion: string;
  /** The JavaScript runtime, e.g. `Node v24.1.0`. */
  readonly runtime: string;
  /** Every adapter route tried, and why it failed or succeeded. */
  readonly attempts: readonly AdapterAttempt[];
  /** The adapter in use. */
  readonly adapter: AdapterDescription;
  /** WebGPU feature level: `core`, or `compatibility` (e.g. OpenGL ES backends). */
  readonly mode: 'core' | 'compatibility';
  /** Workgroup size the kernels use on this device. */
  readonly workgroupSize: number;
  /** The device limits grsd works with. */
  readonly limits: EffectiveLimits;
  /** The reduction self-test on this device. */
  readonly selfTest: SelfTestResult;
}

/** Builds the doctor report for `ctx`, running the self-test. */
export async function doctorReport(ctx: GpuContext, grsdVersion: string, runtime: string): Promise<DoctorReport> {
  const selfTest = await runSelfTest(ctx);
  return {
    schemaVersion: DOCTOR_SCHEMA_VERSION,
    grsdVersion,
    runtime,
    attempts: ctx.attempts,
    adapter: ctx.adapter,
    mode: ctx.adapter.mode,
    workgroupSize: ctx.workgroupSize,
    limits: ctx.limits,
    selfTest,
  };
}
