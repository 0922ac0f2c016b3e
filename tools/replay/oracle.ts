// What an oracle that knew every stage change in advance could send to default: a
// payment may wait for default as long as default becomes usable again before the end
// (waiting costs nothing in the score), and default is usable when it is not failing
// and its delay is below the consistency horizon. Traffic follows the VU ramp: each
// virtual user makes about one request per second (answers take far less than its 1 s sleep).
import { stageAt, vusAt, type Scenario } from './scenario';

export function defaultUsable(scenario: Scenario, tS: number, horizonMs: number): boolean {
  const s = stageAt(scenario, tS);
  return s === null || (!s.default.failure && s.default.delay < horizonMs);
}

/** The share (0..1) of the scenario's payments the oracle sends to default. */
export function oracleDefaultShare(scenario: Scenario, horizonMs: number, stepS = 0.01): number {
  // Scanning backwards: is default usable at some time from t to the end?
  let usableLater = false;
  let all = 0;
  let toDefault = 0;
  for (let t = scenario.durationS - stepS; t >= 0; t -= stepS) {
    usableLater = usableLater || defaultUsable(scenario, t, horizonMs);
    const rate = vusAt(scenario, t);
    all += rate;
    if (usableLater) toDefault += rate;
  }
  return all === 0 ? 0 : toDefault / all;
}
