// `npm run compose:test`: the compose deployment, booted in a real Docker engine under the file's own
// limits (docker-compose --compatibility), with stand-in base images where no registry answers
// (tools/engine/standins). For each variant (the contest file, then the durable one): boot and serve from
// the first request, limits as declared, every service healthy, the smoke check, a scaled official replay
// (contest), an operator's kill and start under load, crashes of the apps (and, in the contest variant, of
// Redis and Postgres) under load with every acknowledged payment checked in the processors, no container
// OOM-killed or restarted but those crashed, peak memory against each limit; then `down -v`.
// `npm run compose:test -- --help` lists the options.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readOptions } from '../kit/options';
import { repoRoot } from '../launcher/nginx-config';
import { ensurePortFree } from '../launcher/services';
import { ComposeProject } from './compose-project';
import { buildStandins, ensureDockerd, ensurePackages } from './engine';
import {
  simulatorLogs,
  type ProcessorName,
  startSimulatorContainers,
  stopSimulatorContainers,
} from './simulator-containers';
import { run } from './shell';
import { type StepOutcome, Steps } from '../kit/steps';
import { bootSteps, drillSteps, finalSteps, replayStep, smokeStep, type VariantRun } from './variant-steps';

const VARIANT_FILES = {
  contest: ['docker-compose.yml'],
  durable: ['docker-compose.yml', 'docker-compose.durable.yml'],
} as const;
type Variant = keyof typeof VARIANT_FILES;
/** The variants whose files refuse to start without ADMIN_TOKEN: they keep the records. */
const NEEDS_TOKEN: Record<Variant, boolean> = { contest: false, durable: true };

const values = readOptions('npm run compose:test -- [options]: the compose deployment in a Docker engine', {
  variant: { kind: 'string', default: 'both', help: 'contest, durable or both' },
  'compose-file': { kind: 'list', help: "instead of the variant's files, e.g. an older file to compare" },
  scale: { kind: 'number', default: 0.2, help: "the replay's scale (0.2: 60 s, 120 VUs); 0 skips it" },
  kills: { kind: 'number', default: 5, help: 'app crashes at the official peak in the contest variant' },
  'no-drills': { kind: 'flag', help: 'boot, check and replay only (no kills)' },
  keep: { kind: 'flag', help: 'leave the deployment running at the end' },
});
if (!['contest', 'durable', 'both'].includes(values.variant)) {
  console.error(`--variant is contest, durable or both; got "${values.variant}"`);
  process.exit(2);
}

const log = (line: string) => console.log(`[engine] ${line}`);

async function explain(project: ComposeProject): Promise<string> {
  const parts: string[] = [];
  for (const service of await project.services()) parts.push(`--- ${service}\n${await project.logs(service, 12)}`);
  for (const p of ['default', 'fallback'] as const) parts.push(`--- simulator ${p}\n${await simulatorLogs(p)}`);
  return parts.join('\n');
}

/** Compose stops at once, naming ADMIN_TOKEN, when the files need it and it is unset or empty. */
async function refusesWithoutToken(root: string, steps: Steps, files: string[]): Promise<void> {
  const name = files.map((f) => f.replace(`${root}/`, '')).join(' + ');
  await steps.step(`${name} without ADMIN_TOKEN: Compose refuses to start, naming it`, () =>
    composeRefusals(root, files),
  );
}

async function composeRefusals(root: string, files: string[]): Promise<StepOutcome> {
  const lines: string[] = [];
  let ok = true;
  for (const value of [undefined, '']) {
    const env: NodeJS.ProcessEnv = { ...process.env, ADMIN_TOKEN: value };
    if (value === undefined) delete env.ADMIN_TOKEN;
    const args = ['--project-directory', root, ...files.flatMap((f) => ['-f', f]), 'config', '--quiet'];
    const started = Date.now();
    const r = await run('docker-compose', args, env);
    const said = (r.stderr.trim().split('\n').slice(-1)[0] ?? '').slice(-110);
    const refused = r.code !== 0 && /ADMIN_TOKEN must be set/.test(r.stderr);
    ok &&= refused;
    const how = value === undefined ? 'unset' : 'empty';
    lines.push(`ADMIN_TOKEN ${how}: exit ${r.code} after ${Date.now() - started} ms: ${said}`);
  }
  return { ok, detail: lines.join('\n') };
}

async function testVariant(
  root: string,
  variant: Variant,
  processors: Record<ProcessorName, string>,
): Promise<boolean> {
  const files = (values['compose-file'].length > 0 ? values['compose-file'] : VARIANT_FILES[variant]).map((f) =>
    join(root, f),
  );
  const token = NEEDS_TOKEN[variant] ? { ADMIN_TOKEN: randomBytes(12).toString('hex') } : undefined;
  const project = new ComposeProject(root, `rinha-engine-${variant}`, files, token);
  const steps = new Steps(() => explain(project));
  log(`variant ${variant}: ${files.map((f) => f.replace(`${root}/`, '')).join(' + ')}`);
  await project.down().catch(() => undefined);
  if (token) await refusesWithoutToken(root, steps, files);
  const run: VariantRun = {
    variant,
    project,
    steps,
    url: 'http://127.0.0.1:9999',
    processors,
    crashes: new Map(),
    scale: values.scale,
    kills: values.kills,
  };
  try {
    if (await bootSteps(run)) {
      await smokeStep(run);
      if (variant === 'contest' && run.scale > 0) await replayStep(run);
      if (!values['no-drills']) await drillSteps(run);
    }
  } finally {
    await finalSteps(run, values.keep);
  }
  return !steps.failed;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const variants: Variant[] = values.variant === 'both' ? ['contest', 'durable'] : [values.variant as Variant];
  if (!variants.every((v) => v in VARIANT_FILES)) throw new Error('--variant is contest, durable or both');
  await ensurePortFree(9999, 'the deployment under test');
  await ensurePackages(log);
  const stopDockerd = await ensureDockerd(join(root, '.run', 'engine'), log);
  let passed = true;
  try {
    await buildStandins(root, log);
    const processors = await startSimulatorContainers(root);
    for (const variant of variants) passed = (await testVariant(root, variant, processors)) && passed;
    // The multi-host file is not booted here (hosts:test proves its layout natively), but it refuses as well.
    const ha = new Steps(async () => '');
    await refusesWithoutToken(root, ha, [join(root, 'docker-compose.ha.yml')]);
    passed = !ha.failed && passed;
  } finally {
    await stopSimulatorContainers();
    await stopDockerd();
  }
  log(passed ? 'every step passed' : 'some step FAILED (see above)');
  process.exit(passed ? 0 : 1);
}

main().catch((err: Error) => {
  console.error(`[engine] could not run: ${err.message}`);
  process.exit(1);
});
