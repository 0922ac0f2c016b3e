// The engine test's report: each step printed as it ends (PASS / FAIL with its figures), and on a
// failure, the logs of the containers that explain it.
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
    this.print(`${outcome.ok ? 'PASS' : 'FAIL'}  ${name} (${seconds.toFixed(1)} s)\n${indent(outcome.detail)}`);
    if (!outcome.ok) this.print(indent(await this.explain().catch((e: Error) => `(no logs: ${e.message})`)));
    return outcome.ok;
  }
}

export function indent(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => `      ${l}`)
    .join('\n');
}

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
