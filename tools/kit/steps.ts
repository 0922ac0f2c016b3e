// The one PASS / FAIL report of the tools (the smoke check, the compose and hosts tests): each step a line,
// PASS or FAIL with its name and its figures (below it when they take several lines), then the verdict. Steps runs
// them one by one, printing each as it ends and, on a failure, what explains it (the containers' logs).
export interface StepOutcome {
  ok: boolean;
  detail: string;
}

export class Steps {
  readonly results: (StepOutcome & { name: string; seconds: number })[] = [];

  constructor(
    private readonly explain: () => Promise<string>,
    private readonly print: (line: string) => void = console.log,
  ) {}

  get failed(): boolean {
    return this.results.some((r) => !r.ok);
  }

  /** Runs one step; a thrown error is a failure with its message. Returns whether it passed. */
  async step(name: string, body: () => Promise<StepOutcome | string>): Promise<boolean> {
    const started = Date.now();
    let outcome: StepOutcome;
    try {
      const r = await body();
      outcome = typeof r === 'string' ? { ok: true, detail: r } : r;
    } catch (err) {
      outcome = { ok: false, detail: (err as Error).message };
    }
    const seconds = (Date.now() - started) / 1000;
    this.results.push({ name, seconds, ...outcome });
    this.print(stepReport(`${name} (${seconds.toFixed(1)} s)`, outcome));
    if (!outcome.ok) this.print(indent(await this.explain().catch((e: Error) => `(no logs: ${e.message})`)));
    return outcome.ok;
  }
}

/** PASS or FAIL, the step's name, and its detail: on the same line when it is one line, else indented below. */
export function stepReport(name: string, outcome: StepOutcome): string {
  const head = `${outcome.ok ? 'PASS' : 'FAIL'}  ${name}`;
  if (outcome.detail === '') return head;
  return outcome.detail.includes('\n') ? `${head}\n${indent(outcome.detail)}` : `${head}: ${outcome.detail}`;
}

/** The last line: every step passed, or how many failed. */
export function verdict(what: string, results: { ok: boolean }[], noun = 'step'): string {
  const failed = results.filter((r) => !r.ok).length;
  return failed === 0
    ? `${what}: every ${noun} passed (${results.length})`
    : `${what}: ${failed} of ${results.length} ${noun}s FAILED`;
}

export function indent(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => `      ${l}`)
    .join('\n');
}

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
