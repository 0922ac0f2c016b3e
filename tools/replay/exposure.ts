// The exposed time of a run: when a consistency check could find a payment on one side only.
// A check at c counts requestedAt in [c - 15 s, c - 2 s]. A payment stored by its processor more
// than 2 s after its requestedAt is inside that window, and not yet stored, for every c in
// [requestedAt + 2 s, storedAt): a check landing there reads it while it is on its way, and
// whichever side answers a moment later may count it. The union of those intervals is the
// exposed time; no payment stored late means no check can ever disagree.
import type { LateRecord } from '../simulator/payment-store';
import type { Scenario } from './scenario';

/** How far back the official check's window ends. */
export const CHECK_WINDOW_END_MS = 2000;

/** The official checker's period: the chance of a fine is the chance one of its checks lands in the exposure. */
export const OFFICIAL_CHECK_PERIOD_MS = 10_000;

export interface StageExposure {
  /** The stage's start in seconds from the run's start (null: before the first stage). */
  atS: number | null;
  /** Payments requested in this stage and stored late. */
  latePayments: number;
  /** Measure of the union of their exposed intervals, in ms. */
  exposedMs: number;
  /** The latest any of them was stored after its requestedAt, in ms. */
  worstLateMs: number;
}

export interface Exposure {
  latePayments: number;
  exposedMs: number;
  /** Chance that a checker every OFFICIAL_CHECK_PERIOD_MS, started at a random phase, lands in the exposure. */
  officialCheckerChance: number;
  stages: StageExposure[];
  /** A processor listed fewer late payments than it holds (its answer's bound). */
  truncated: boolean;
}

type Interval = [number, number];

/** Sorted, disjoint intervals covering the same points. */
export function union(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

const measure = (intervals: Interval[]) => intervals.reduce((n, [a, b]) => n + (b - a), 0);

/** The exposed intervals of these late records: [requestedAt + 2 s, storedAt] where that is not empty. */
export function exposedIntervals(records: LateRecord[]): Interval[] {
  const out: Interval[] = [];
  for (const [requestedAt, storedAt] of records)
    if (storedAt > requestedAt + CHECK_WINDOW_END_MS) out.push([requestedAt + CHECK_WINDOW_END_MS, storedAt]);
  return union(out);
}

/** The share of phases in [0, period) from which a periodic checker lands in one of these intervals. */
export function periodicChance(intervals: Interval[], periodMs: number): number {
  const folded: Interval[] = [];
  for (const [a, b] of intervals) {
    if (b - a >= periodMs) return 1;
    const start = ((a % periodMs) + periodMs) % periodMs;
    const end = start + (b - a);
    if (end <= periodMs) folded.push([start, end]);
    else folded.push([start, periodMs], [0, end - periodMs]);
  }
  return Math.min(1, measure(union(folded)) / periodMs);
}

/** Splits the run's late records by the stage in force at their requestedAt. */
export function computeExposure(
  records: LateRecord[],
  scenario: Scenario,
  startedAtMs: number,
  truncated = false,
): Exposure {
  const starts = scenario.stages.map((s) => startedAtMs + s.atS * 1000);
  const byStage: LateRecord[][] = Array.from({ length: starts.length + 1 }, () => []);
  for (const r of records) {
    let i = 0;
    while (i < starts.length && starts[i] <= r[0]) i++;
    byStage[i].push(r);
  }
  const all = exposedIntervals(records);
  const stages = byStage.map((rs, i) => ({
    atS: i === 0 ? null : scenario.stages[i - 1].atS,
    latePayments: rs.filter(([r, s]) => s > r + CHECK_WINDOW_END_MS).length,
    exposedMs: Math.round(measure(exposedIntervals(rs)) * 10) / 10,
    worstLateMs: rs.reduce((n, [r, s]) => Math.max(n, s - r), 0),
  }));
  return {
    latePayments: stages.reduce((n, s) => n + s.latePayments, 0),
    exposedMs: Math.round(measure(all) * 10) / 10,
    officialCheckerChance: periodicChance(all, OFFICIAL_CHECK_PERIOD_MS),
    stages,
    truncated,
  };
}
