/** The depth study's pure parts: the checkpoint schedule and the seeds (no GPU). */
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  checkpointSchedule,
  checkpointSteps,
  DEMO_CONFIG,
  describeCheckpointSchedule,
  DEMO_QUICK_CONFIG,
  studySeeds,
  studyTask,
} from '../../src/experiments/depthStudy.ts';

describe('depth study schedule and seeds', () => {
  test('uniform checkpoints every K steps, the last step included', () => {
    expect(checkpointSchedule(25, 10)).toEqual([0, 10, 20, 25]);
    expect(checkpointSchedule(20, 10)).toEqual([0, 10, 20]);
    expect(checkpointSchedule(3, 1)).toEqual([0, 1, 2, 3]);
  });

  test('geometric spacing: Δt = clamp(round((g − 1)·t), 1, K), then every K', () => {
    // g = 1.5: Δt = 1 until t = 2 (round(0.5·1) = 1 … round(0.5·2) = 1), then 2, 3, 4, … capped at 5.
    expect(checkpointSchedule(40, 5, 1.5)).toEqual([0, 1, 2, 3, 5, 8, 12, 17, 22, 27, 32, 37, 40]);
    const s = checkpointSchedule(400, 12, 1.25);
    const gaps = s.slice(1).map((t, i) => t - s[i]!);
    expect(gaps.slice(0, -2).every((g, i) => i === 0 || g >= gaps[i - 1]!)).toBe(true); // non-decreasing (but the last two)
    expect(Math.max(...gaps)).toBe(12);
    expect(s.slice(-3)).toEqual([385, 392, 400]); // not …, 385, 397, 400: the 3-step remainder and the 12 steps before it split 7 + 8
    expect(gaps[0]).toBe(1);
    expect(new Set(s).size).toBe(s.length);
  });

  test('the default schedule: one step apart at the start, where the kernel moves fastest, then every 10 steps (docs/lab.md)', () => {
    const s = checkpointSchedule(DEMO_CONFIG.steps, DEMO_CONFIG.checkpointEvery, DEMO_CONFIG.checkpointGrowth);
    expect(s.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 8]);
    const gaps = s.slice(1).map((t, i) => t - s[i]!);
    expect(Math.max(...gaps)).toBe(DEMO_CONFIG.checkpointEvery);
    expect(s.slice(-4)).toEqual([179, 189, 194, 200]); // not …, 189, 199, 200: the 1-step remainder and the 10 steps before it split 5 + 6
    expect(s).toHaveLength(32);
    const quick = checkpointSchedule(DEMO_QUICK_CONFIG.steps, DEMO_QUICK_CONFIG.checkpointEvery, DEMO_QUICK_CONFIG.checkpointGrowth);
    expect(quick.slice(-4)).toEqual([79, 89, 94, 100]);
    expect(describeCheckpointSchedule(DEMO_CONFIG)).toBe('32 checkpoints, spaced ×1.25 from 1 step up to every 10 steps');
    expect(describeCheckpointSchedule(DEMO_QUICK_CONFIG)).toBe('22 checkpoints, spaced ×1.25 from 1 step up to every 10 steps');
    expect(describeCheckpointSchedule({ steps: 200, checkpointEvery: 10 })).toBe('21 checkpoints, one every 10 steps');
    expect(describeCheckpointSchedule({ steps: 200, checkpointEvery: 10, checkpointGrowth: 1 })).toBe('21 checkpoints, one every 10 steps');
  });

  test('the last interval is never a sliver: a remainder under half the interval before it is split evenly with that one', () => {
    expect(checkpointSchedule(201, 10).slice(-3)).toEqual([190, 195, 201]); // 10 + 1 = 5 + 6
    expect(checkpointSchedule(204, 10).slice(-3)).toEqual([190, 197, 204]); // 4 < 5: 10 + 4 = 7 + 7
    expect(checkpointSchedule(205, 10).slice(-3)).toEqual([190, 200, 205]); // 5 = half: kept
    expect(checkpointSchedule(201, 10)).toHaveLength(checkpointSchedule(205, 10).length); // a split keeps the count
    for (const growth of [1, 1.01, 1.1, 1.25, 1.5, 2])
      for (const every of [1, 2, 3, 7, 10, 12])
        for (let steps = every; steps <= 120; steps++) {
          const s = checkpointSchedule(steps, every, growth);
          const gaps = s.slice(1).map((t, i) => t - s[i]!);
          expect(s[0]).toBe(0);
          expect(s.at(-1)).toBe(steps);
          expect(gaps.every((g) => g >= 1)).toBe(true);
          expect(gaps.every((g) => g <= every)).toBe(true);
          if (gaps.length >= 2) expect(2 * gaps.at(-1)!).toBeGreaterThanOrEqual(gaps.at(-2)!);
        }
  });

  test('checkpointSteps (log-spaced, by count) is unchanged: 0 and count − 1 steps geometric up to steps', () => {
    expect(checkpointSteps(100, 4)).toEqual([0, 1, 10, 100]);
    expect(() => checkpointSteps(100, 1)).toThrow(/checkpoints/);
  });

  test('invalid schedules name the option', () => {
    expect(() => checkpointSchedule(10, 0)).toThrow(InvalidArgumentError);
    expect(() => checkpointSchedule(10, 11)).toThrow(/checkpointEvery/);
    expect(() => checkpointSchedule(10, 2, 0.5)).toThrow(/checkpointGrowth/);
    expect(() => checkpointSchedule(0, 1)).toThrow(/steps/);
  });

  test('seeds are consecutive; each seed draws its own task; the defaults have ≥ 3 (quick ≥ 2) seeds', () => {
    expect(studySeeds({ ...DEMO_CONFIG, seed: 7, seeds: 3 })).toEqual([7, 8, 9]);
    const a = studyTask(DEMO_CONFIG, 1);
    const b = studyTask(DEMO_CONFIG, 2);
    expect(a.probeX).toBe(a.trainX); // the probe set is the training set
    expect(Array.from(a.trainX)).not.toEqual(Array.from(b.trainX));
    expect(DEMO_CONFIG.seeds).toBeGreaterThanOrEqual(3);
    expect(DEMO_QUICK_CONFIG.seeds).toBeGreaterThanOrEqual(2);
  });
});
