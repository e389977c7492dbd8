/** The depth study's pure parts: the checkpoint schedule and the seeds (no GPU). */
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  checkpointSchedule,
  checkpointSteps,
  DEMO_CONFIG,
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
    expect(gaps.every((g, i) => i === 0 || g >= gaps[i - 1]! || s[i + 1] === 400)).toBe(true); // non-decreasing (but the last)
    expect(Math.max(...gaps)).toBe(12);
    expect(gaps[0]).toBe(1);
    expect(new Set(s).size).toBe(s.length);
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
