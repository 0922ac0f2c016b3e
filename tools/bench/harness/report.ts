// What a benchmark prints: lines as they come (each round, so a long run shows progress), tables
// of figures aligned in columns, and, with --json FILE, all of it as one JSON document that a
// script or a later run can read (the options, every line, every table, every named figure).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

type Cell = string | number;

export class BenchReport {
  private readonly lines: string[] = [];
  private readonly tables: { title: string; header: string[]; rows: Cell[][] }[] = [];
  private readonly figures: Record<string, unknown> = {};

  constructor(
    private readonly bench: string,
    private readonly options: { json: string } & Record<string, unknown>,
  ) {}

  /** Prints one line now, and keeps it. */
  line(text: string): void {
    this.lines.push(text);
    console.log(text);
  }

  /** Prints a table with its columns aligned; numbers are printed as given (round them first). */
  table(title: string, header: string[], rows: Cell[][]): void {
    this.tables.push({ title, header, rows });
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c] ?? '').length)));
    const format = (cells: Cell[]) =>
      cells
        .map((cell, c) => String(cell).padEnd(widths[c]))
        .join('  ')
        .trimEnd();
    if (title) console.log(title);
    console.log(format(header));
    for (const r of rows) console.log(format(r));
  }

  /** A named figure for the JSON (a median, a ratio, a list of samples); not printed. */
  figure(name: string, value: unknown): void {
    this.figures[name] = value;
  }

  /** Writes the JSON, when --json gave a file. */
  finish(): void {
    if (!this.options.json) return;
    mkdirSync(dirname(this.options.json), { recursive: true });
    const { bench, options, lines, tables, figures } = this;
    const doc = { bench, at: new Date().toISOString(), options, lines, tables, figures };
    writeFileSync(this.options.json, JSON.stringify(doc, null, 2));
  }
}

/** Runs a benchmark's main: an error is printed and the process exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
