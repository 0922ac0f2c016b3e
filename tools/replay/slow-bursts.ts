// Whether slow answers come alone or in bursts. Answers that are slow together point at a
// stall of something they all pass through (a paused process, a descheduled thread);
// answers slow one at a time point at the cost of each request. Bursts are slow answers
// whose requests were sent less than `gapMs` after the previous slow one.

export interface TimedAnswer {
  /** When the request was sent, in ms from any fixed origin. */
  sentAt: number;
  ms: number;
}

export interface SlowBursts {
  /** Answers at or above the threshold. */
  slow: number;
  /** Groups of slow answers, singles included. */
  bursts: number;
  largest: number;
  /** Share of the slow answers that were in a burst of at least 3. */
  inBurstsOf3: number;
}

export function slowBursts(answers: TimedAnswer[], thresholdMs: number, gapMs = 20): SlowBursts {
  const slow = answers.filter((a) => a.ms >= thresholdMs).sort((a, b) => a.sentAt - b.sentAt);
  const sizes: number[] = [];
  let previous = -Infinity;
  for (const a of slow) {
    if (a.sentAt - previous < gapMs) sizes[sizes.length - 1]++;
    else sizes.push(1);
    previous = a.sentAt;
  }
  const inBig = sizes.filter((n) => n >= 3).reduce((sum, n) => sum + n, 0);
  return {
    slow: slow.length,
    bursts: sizes.length,
    largest: Math.max(0, ...sizes),
    inBurstsOf3: slow.length === 0 ? 0 : inBig / slow.length,
  };
}
