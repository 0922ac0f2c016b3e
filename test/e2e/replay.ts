// A shorter replay of the official test against the whole stack: no inconsistency, no lag, no
// failed POST. Scale 0.34 (102 s, up to 205 virtual users): each stage lasts 10.2 s, two of the
// processors' 5 s health windows, so the 2000 ms stages are met as the real test meets them (at 0.15
// a stage was over before one health report could tell of it).
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '../../tools/launcher/stack';
import { Progress } from '../../tools/replay/progress';
import { runReplay } from '../../tools/replay/run';
import { freePort, namespace } from '../fixtures/pipeline';

t.test('scaled official scenario against the stack', async (t) => {
  const ns = namespace(t);
  const stack = await startStack({
    port: await freePort(),
    simulatorPorts: { default: 0, fallback: 0 },
    ...ns,
    runDir: '.run/e2e-replay',
    output: 'ignore',
    log: () => undefined,
    appEnv: { LOG_LEVEL: 'warn' },
  });
  t.teardown(() => stack.stop());
  const lines: string[] = [];
  const { results, checks, instances, reportPath, samples } = await runReplay({
    backendUrl: stack.url,
    processorUrls: stack.processors,
    scale: 0.34,
    outDir: mkdtempSync(join(tmpdir(), 'replay-')),
    progress: new Progress({ isTTY: false, write: (s: string) => lines.push(s) }, false),
  });
  t.comment(lines.join('').trim());
  t.ok(checks.length >= 10, `${checks.length} consistency checks ran`);
  t.equal(results.multa.composicao.num_inconsistencias, 0, 'no inconsistency');
  t.equal(results.lag.lag, 0, 'no lag: every accepted payment was recorded by the end');
  const failed = samples
    .filter((x) => x.kind === 'payment' && !x.ok)
    .map((x) => `${x.outcome} at ${x.t.toFixed(1)} s after ${x.ms.toFixed(0)} ms`);
  t.equal(results.pagamentos_solicitados.qtd_falha, 0, `no failed POST (${failed.join(', ')})`);
  t.same(
    instances.map((i) => i.instance),
    ['app1', 'app2'],
    'the report splits the run by instance, from their metrics',
  );
  t.equal(
    instances.reduce((n, i) => n + i.accepted, 0),
    results.pagamentos_solicitados.qtd_sucesso,
    'what the instances say they accepted is what the replay saw answered 2xx',
  );
  t.match(readFileSync(reportPath, 'utf8'), /<th>commit<\/th><td>[0-9a-f]{12}/, "the report names the run's commit");
  t.ok(
    results.pagamentos_realizados_default.num_pagamentos > results.pagamentos_realizados_fallback.num_pagamentos,
    'most payments went to default',
  );
});
