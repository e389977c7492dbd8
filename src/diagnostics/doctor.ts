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
  readonly schemaVersion: number;
  readonly grsdVersion: string;
  readonly runtime: string;
  readonly attempts: readonly AdapterAttempt[];
  readonly adapter: AdapterDescription;
  readonly mode: 'core' | 'compatibility';
  readonly workgroupSize: number;
  readonly limits: EffectiveLimits;
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
