// What the replay says while it runs: one live line on a terminal, a few plain lines
// otherwise (CI, pipes).
export interface ProgressState {
  t: number;
  durationS: number;
  vus: number;
  ratePerS: number;
  p99Ms: number;
  errors: number;
  inconsistencies: number;
  stage: string;
}

export class Progress {
  private lastPlain = -Infinity;

  constructor(
    private readonly out: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): unknown } = process.stdout,
    private readonly live = Boolean(out.isTTY) && !process.env.CI,
  ) {}

  line(s: ProgressState): string {
    return (
      `t=${s.t.toFixed(0).padStart(3)}/${s.durationS.toFixed(0)}s  vus=${String(s.vus).padStart(3)}  ` +
      `${s.ratePerS.toFixed(0).padStart(4)} req/s  p99=${s.p99Ms.toFixed(2)}ms  errors=${s.errors}  ` +
      `inconsistencies=${s.inconsistencies}  stage: ${s.stage}`
    );
  }

  update(s: ProgressState): void {
    if (this.live) this.out.write(`\r\x1b[2K${this.line(s)}`);
    else if (s.t - this.lastPlain >= 30) {
      this.lastPlain = s.t;
      this.out.write(`${this.line(s)}\n`);
    }
  }

  say(text: string): void {
    this.out.write(`${this.live ? '\r\x1b[2K' : ''}${text}\n`);
  }
}
