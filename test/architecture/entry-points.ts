// Every entry point of the tools (tools/bin, the benchmarks, the compose and hosts tests) answers --help with its
// options and exits 0 without starting anything, and refuses an option it does not know (exit 2), as a command
// line should. Runs the build (npm test builds first).
import t from 'tap';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuildFresh } from '../fixtures/fresh-build';

assertBuildFresh();
const ROOT = join(__dirname, '..', '..');
const ENTRY_POINTS = [
  ...readdirSync(join(ROOT, 'tools', 'bin')).map((f) => `tools/bin/${f}`),
  ...readdirSync(join(ROOT, 'tools', 'bench'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `tools/bench/${f}`),
  'tools/engine/compose-test.ts',
  'tools/hosts/hosts-test.ts',
].filter((f) => f.endsWith('.ts'));

function run(entry: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = join(ROOT, 'dist', entry.replace(/\.ts$/, '.js'));
  return new Promise((resolve) =>
    execFile(process.execPath, [file, ...args], { timeout: 20_000, env: { ...process.env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    ),
  );
}

t.test('every entry point answers --help and refuses an unknown option', async (t) => {
  t.ok(ENTRY_POINTS.length >= 20, `${ENTRY_POINTS.length} entry points`);
  for (const entry of ENTRY_POINTS) {
    const help = await run(entry, ['--help']);
    t.equal(help.code, 0, `${entry} --help: exit 0${help.code === 0 ? '' : `, not ${help.code}: ${help.stderr}`}`);
    t.match(help.stdout, /Options[^]*--help/, `${entry} --help: its options`);
    const wrong = await run(entry, ['--no-such-option']);
    t.equal(wrong.code, 2, `${entry} --no-such-option: exit 2`);
    t.match(wrong.stderr, /no-such-option/, `${entry}: says which option`);
  }
});
