// final-results.json as rinha-final.js' handleSummary writes it: same field names, same
// arithmetic (Big.js there, exact cents here), same rounding of p99 and of its bonus. One field
// is ours: `exposicao`, when a check could have found a payment on one side only (exposure.ts).
import type { Exposure } from './exposure';

export interface ProcessorTotals {
  totalRequests: number;
  totalAmount: number;
  feePerTransaction: number;
}

export interface ScoreInput {
  participant: string;
  maxRequests: number;
  /** p99 of every successful request's duration in ms (all requests the test made). */
  p99Ms: number;
  paymentsSucceeded: number;
  paymentsFailed: number;
  inconsistencies: number;
  /** How many checks ran, and how many found a difference. */
  checks?: number;
  checksWithDifferences?: number;
  /** Null or unset: not measured (the official processors do not say when they stored a payment). */
  exposure?: Exposure | null;
  default: ProcessorTotals;
  fallback: ProcessorTotals;
  timestamp?: string;
}

/** Rounds half away from zero to `places` decimals, like Big.js' default round(). */
export function round(value: number, places: number): number {
  const f = 10 ** places;
  return (Math.sign(value) * Math.round(Math.abs(value) * f + 1e-9)) / f;
}

// Exact decimal arithmetic on amounts with few decimals: through integers of 1e-6.
const MICRO = 1_000_000;
const micro = (x: number) => Math.round(x * MICRO);
const fromMicro = (x: number) => x / MICRO;

/** The money: gross, fees per processor, the p99 bonus, the fine, and the net (total_liquido). */
function amounts(input: ScoreInput) {
  const totalBruto = fromMicro(micro(input.default.totalAmount) + micro(input.fallback.totalAmount));
  const defaultFee = fromMicro(Math.round(micro(input.default.totalAmount) * input.default.feePerTransaction));
  const fallbackFee = fromMicro(Math.round(micro(input.fallback.totalAmount) * input.fallback.feePerTransaction));
  const totalFee = fromMicro(micro(defaultFee) + micro(fallbackFee));
  const p99 = round(input.p99Ms, 2);
  const bonus = Math.max(round((11 - p99) * 0.02, 2), 0);
  const fine = input.inconsistencies > 0 ? 0.35 : 0;
  const liquidPartial = fromMicro(micro(totalBruto) - micro(totalFee));
  const liquid = fromMicro(
    micro(liquidPartial) + Math.round(micro(liquidPartial) * bonus) - Math.round(micro(liquidPartial) * fine),
  );
  const fineTotal = fromMicro(Math.round(micro(liquidPartial) * fine));
  return { totalBruto, defaultFee, fallbackFee, totalFee, p99, bonus, fine, fineTotal, liquid };
}

function processorPart(summary: ScoreInput['default'], fee: number, name: string) {
  return {
    total_bruto: summary.totalAmount,
    num_pagamentos: summary.totalRequests,
    total_taxas: fee,
    descricao: `What the ${name} processor recorded.`,
  };
}

/** Ours, not the official file's: beside the inconsistencies, how exposed the run was to them. */
function exposureField(exposure: Exposure | null | undefined) {
  if (!exposure)
    return { medida: false as const, descricao: 'Not measured: the processors do not say when they stored.' };
  return {
    medida: true as const,
    tempo_exposto_ms: exposure.exposedMs,
    pagamentos_tardios: exposure.latePayments,
    chance_verificador_10s: exposure.officialCheckerChance,
    por_estagio: exposure.stages
      .filter((s) => s.latePayments > 0)
      .map((s) => ({
        estagio_s: s.atS,
        tempo_exposto_ms: s.exposedMs,
        pagamentos_tardios: s.latePayments,
        pior_atraso_ms: s.worstLateMs,
      })),
    truncado: exposure.truncated,
    descricao:
      'Ours: the time during which a check could find a payment on one side only (stored by its processor over ' +
      '2 s after its requestedAt), and the chance that a check every 10 s lands in it. 0 ms: no check can differ.',
  };
}

export function finalResults(input: ScoreInput) {
  const a = amounts(input);
  const recorded = input.default.totalRequests + input.fallback.totalRequests;
  const lag = input.paymentsSucceeded - recorded;
  return {
    timestamp: input.timestamp ?? new Date().toISOString(),
    participante: input.participant,
    total_liquido: a.liquid,
    total_bruto: a.totalBruto,
    total_taxas: a.totalFee,
    descricao:
      "'total_liquido' is the final score (the profit): total_liquido + (total_liquido * p99.bonus) - " +
      '(total_liquido * multa.porcentagem)',
    p99: {
      valor: `${a.p99}ms`,
      bonus: `${round(a.bonus * 100, 6)}%`,
      max_requests: input.maxRequests,
      descricao: 'bonus = max((11 - p99.valor) * 0.02, 0)',
    },
    multa: {
      porcentagem: a.fine,
      total: a.fineTotal,
      composicao: {
        num_inconsistencias: input.inconsistencies,
        ...(input.checks === undefined
          ? {}
          : { num_verificacoes: input.checks, verificacoes_com_diferenca: input.checksWithDifferences ?? 0 }),
        descricao: "If 'num_inconsistencias' > 0, a 35% fine.",
      },
    },
    exposicao: exposureField(input.exposure),
    caixa_dois: {
      detectado: lag < 0,
      descricao: "A negative 'lag' means more payments were recorded than requested: disqualified.",
    },
    lag: {
      num_pagamentos_total: recorded,
      num_pagamentos_solicitados: input.paymentsSucceeded,
      lag,
      descricao: 'Successful POSTs minus payments the processors recorded: payments still queued at the end.',
    },
    pagamentos_solicitados: {
      qtd_sucesso: input.paymentsSucceeded,
      qtd_falha: input.paymentsFailed,
      descricao: "'qtd_sucesso': POST /payments answered 2xx; 'qtd_falha': the others.",
    },
    pagamentos_realizados_default: processorPart(input.default, a.defaultFee, 'default'),
    pagamentos_realizados_fallback: processorPart(input.fallback, a.fallbackFee, 'fallback'),
  };
}

export type FinalResults = ReturnType<typeof finalResults>;
