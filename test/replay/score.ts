import t from 'tap';
import { finalResults, round } from '../../tools/replay/score';

const base = {
  participant: 'us',
  maxRequests: 603,
  paymentsSucceeded: 1000,
  paymentsFailed: 0,
  inconsistencies: 0,
  default: { totalRequests: 900, totalAmount: 18045, feePerTransaction: 0.05 },
  fallback: { totalRequests: 100, totalAmount: 2005, feePerTransaction: 0.15 },
  timestamp: '2025-01-01T00:00:00.000Z',
};

t.test('the official arithmetic on known inputs', async (t) => {
  const r = finalResults({ ...base, p99Ms: 1.004 });
  t.equal(r.total_bruto, 20050, 'bruto = both totals');
  t.equal(r.total_taxas, 902.25 + 300.75, 'taxas = fee x amount per processor');
  t.equal(r.p99.valor, '1ms', 'p99 rounded to 2 decimals');
  t.equal(r.p99.bonus, '20%', 'bonus (11 - 1) x 0.02 = 20 %');
  t.equal(r.total_liquido, 22616.4, 'liquido = (20050 - 1203) x (1 + 0.2), exact');
  t.same(r.lag, { ...r.lag, num_pagamentos_total: 1000, num_pagamentos_solicitados: 1000, lag: 0 });
  t.equal(r.caixa_dois.detectado, false);
  t.equal(r.multa.porcentagem, 0);
  t.equal(r.pagamentos_realizados_default.total_taxas, 902.25);
});

t.test('bonus is rounded to whole percents and never negative; inconsistencies cost 35 %', async (t) => {
  t.equal(finalResults({ ...base, p99Ms: 0.45 }).p99.bonus, '21%', '(11 - 0.45) x 0.02 = 0.211 -> 21 %');
  t.equal(finalResults({ ...base, p99Ms: 25 }).p99.bonus, '0%', 'no negative bonus');
  const fined = finalResults({ ...base, p99Ms: 11, inconsistencies: 2 });
  t.equal(fined.multa.porcentagem, 0.35);
  t.equal(fined.multa.total, round((20050 - 1203) * 0.35, 6));
  t.equal(fined.total_liquido, round((20050 - 1203) * 0.65, 6));
});

t.test('lag and caixa dois', async (t) => {
  t.equal(finalResults({ ...base, p99Ms: 2, paymentsSucceeded: 1010 }).lag.lag, 10, 'payments not recorded are lag');
  const slush = finalResults({ ...base, p99Ms: 2, paymentsSucceeded: 990 });
  t.equal(slush.lag.lag, -10);
  t.equal(slush.caixa_dois.detectado, true, 'more recorded than requested: disqualified');
});

t.test('round is half away from zero', async (t) => {
  t.equal(round(1.005, 2), 1.01);
  t.equal(round(-1.005, 2), -1.01);
  t.equal(round(0.211, 2), 0.21);
});

t.test('beside the inconsistencies: how many checks ran, and the exposure when it was measured', async (t) => {
  const plain = finalResults({ ...base, p99Ms: 1 });
  t.equal(plain.exposicao.medida, false, 'not measured unless given');
  t.notOk('num_verificacoes' in plain.multa.composicao);
  const r = finalResults({
    ...base,
    p99Ms: 1,
    checks: 30,
    checksWithDifferences: 0,
    exposure: {
      latePayments: 2,
      exposedMs: 12.5,
      officialCheckerChance: 0.00125,
      truncated: false,
      stages: [
        { atS: 240, latePayments: 0, exposedMs: 0, worstLateMs: 0 },
        { atS: 270, latePayments: 2, exposedMs: 12.5, worstLateMs: 2010 },
      ],
    },
  });
  t.equal(r.multa.composicao.num_verificacoes, 30);
  t.equal(r.multa.composicao.verificacoes_com_diferenca, 0);
  t.match(r.exposicao, {
    medida: true,
    tempo_exposto_ms: 12.5,
    pagamentos_tardios: 2,
    chance_verificador_10s: 0.00125,
  });
  t.same(
    r.exposicao.medida && r.exposicao.por_estagio,
    [{ estagio_s: 270, tempo_exposto_ms: 12.5, pagamentos_tardios: 2, pior_atraso_ms: 2010 }],
    'only the stages with late payments',
  );
});
