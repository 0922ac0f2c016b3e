// The final official test as data: the VU ramp, the consistency checks and the stage
// changes of both processors, scaled in time by one factor (delays are not scaled:
// they are what the processors do, and the 2 s consistency window does not shrink).

export interface ProcessorCondition {
  delay: number;
  failure: boolean;
}

export interface Stage {
  /** Seconds from the start at which the condition is applied. */
  atS: number;
  default: ProcessorCondition;
  fallback: ProcessorCondition;
}

export interface Scenario {
  durationS: number;
  /** k6's MAX_REQUESTS: the VU target at the end of the ramp. */
  maxVus: number;
  stages: Stage[];
  /** Pause between two consistency checks. */
  checkEveryS: number;
  /** Each VU sleeps this long after each payment. */
  vuSleepS: number;
  amount: number;
  clientTimeoutMs: number;
}

const at = (atS: number, dd: number, df: boolean, fd: number, ff: boolean): Stage => ({
  atS,
  default: { delay: dd, failure: df },
  fallback: { delay: fd, failure: ff },
});

/** rinha-test/rinha-final.js, stage_00 to stage_09. */
export const OFFICIAL_STAGES: Stage[] = [
  at(1, 0, false, 0, false),
  at(30, 1000, false, 0, false),
  at(60, 500, false, 0, false),
  at(90, 2000, true, 1000, false),
  at(120, 5000, true, 5, false),
  at(150, 0, false, 5, true),
  at(180, 100, false, 5, false),
  at(210, 50, false, 0, false),
  at(240, 103, false, 10, false),
  at(270, 2000, false, 0, false),
];

export const OFFICIAL: Scenario = {
  durationS: 300,
  maxVus: 603,
  stages: OFFICIAL_STAGES,
  checkEveryS: 10,
  vuSleepS: 1,
  amount: 20.05,
  clientTimeoutMs: 1500,
};

/** The official scenario shortened: duration, peak VUs, stage times and check interval scale together. */
export function scaledScenario(scale: number, maxVus?: number): Scenario {
  if (!(scale > 0 && scale <= 1)) throw new Error(`scale must be in (0, 1], got ${scale}`);
  return {
    ...OFFICIAL,
    durationS: OFFICIAL.durationS * scale,
    maxVus: maxVus ?? Math.max(1, Math.round(OFFICIAL.maxVus * scale)),
    stages: OFFICIAL_STAGES.map((s) => ({ ...s, atS: s.atS * scale })),
    checkEveryS: Math.max(1, OFFICIAL.checkEveryS * scale),
  };
}

/** k6 ramping-vus from 1 to maxVus over the whole duration: how many VUs run at second t. */
export function vusAt(scenario: Scenario, tS: number): number {
  if (tS <= 0) return 1;
  const frac = Math.min(1, tS / scenario.durationS);
  return Math.max(1, Math.floor(1 + (scenario.maxVus - 1) * frac));
}

/** The stage in force at second t (null before the first). */
export function stageAt(scenario: Scenario, tS: number): Stage | null {
  let current: Stage | null = null;
  for (const s of scenario.stages) if (s.atS <= tS) current = s;
  return current;
}
