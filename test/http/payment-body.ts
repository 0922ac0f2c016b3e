import t from 'tap';
import fc from 'fast-check';
import { ApiError } from '../../src/http/errors';
import { MAX_AMOUNT_CENTS, parsePaymentBody } from '../../src/http/payment-body';

const ID = '4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3';
const code = (text: string) => {
  try {
    parsePaymentBody(text);
    return 'ok';
  } catch (err) {
    return err instanceof ApiError ? err.code : 'not an ApiError';
  }
};

t.test('exact cents for amounts that are not exact in binary', async (t) => {
  for (const [amount, cents] of [
    [19.9, 1990],
    [0.01, 1],
    [20.05, 2005],
    [1234567.89, 123456789],
    [0.1, 10],
    [10000000, 1e9],
  ] as const) {
    t.same(
      parsePaymentBody(JSON.stringify({ correlationId: ID, amount })),
      { correlationId: ID, amountCents: cents },
      `${amount}`,
    );
  }
  t.equal(
    parsePaymentBody(JSON.stringify({ correlationId: ID.toUpperCase(), amount: 1 })).correlationId,
    ID,
    'UUIDs are normalised to lower case',
  );
});

t.test('every bad input has its code', async (t) => {
  const cases: [string, string][] = [
    ['', 'INVALID_JSON'],
    ['{', 'INVALID_JSON'],
    ['[]', 'BODY_NOT_OBJECT'],
    ['null', 'BODY_NOT_OBJECT'],
    ['"x"', 'BODY_NOT_OBJECT'],
    [JSON.stringify({ amount: 1 }), 'MISSING_FIELD'],
    [JSON.stringify({ correlationId: ID }), 'MISSING_FIELD'],
    [JSON.stringify({ correlationId: ID, amount: 1, x: 1 }), 'UNKNOWN_FIELD'],
    [JSON.stringify({ correlationId: 'abc', amount: 1 }), 'INVALID_CORRELATION_ID'],
    [JSON.stringify({ correlationId: null, amount: 1 }), 'INVALID_CORRELATION_ID'],
    [JSON.stringify({ correlationId: ID, amount: '1' }), 'INVALID_AMOUNT'],
    [JSON.stringify({ correlationId: ID, amount: 0 }), 'INVALID_AMOUNT'],
    [JSON.stringify({ correlationId: ID, amount: -1 }), 'INVALID_AMOUNT'],
    [JSON.stringify({ correlationId: ID, amount: 1.001 }), 'INVALID_AMOUNT'],
    [JSON.stringify({ correlationId: ID, amount: 0.004 }), 'INVALID_AMOUNT'],
    [JSON.stringify({ correlationId: ID, amount: MAX_AMOUNT_CENTS / 100 + 0.01 }), 'INVALID_AMOUNT'],
    [`{"correlationId":"${ID}","amount":1e400}`, 'INVALID_AMOUNT'],
  ];
  for (const [text, expected] of cases) t.equal(code(text), expected, text.slice(0, 60));
});

t.test('property: any UUID and any amount in range round-trips to the same cents', async (t) => {
  fc.assert(
    fc.property(fc.uuid(), fc.integer({ min: 1, max: MAX_AMOUNT_CENTS }), (id, cents) => {
      const parsed = parsePaymentBody(JSON.stringify({ correlationId: id, amount: cents / 100 }));
      return parsed.amountCents === cents && parsed.correlationId === id.toLowerCase();
    }),
    { numRuns: 5000 },
  );
  t.pass('5000 cases');
});

t.test('property: arbitrary input either parses into a valid payment or throws an ApiError', async (t) => {
  const anyBody = fc.oneof(
    fc.string(),
    fc.json(),
    fc
      .record({
        correlationId: fc.oneof(fc.uuid(), fc.string(), fc.integer()),
        amount: fc.oneof(fc.double(), fc.integer(), fc.string()),
      })
      .map((o) => JSON.stringify(o)),
  );
  fc.assert(
    fc.property(anyBody, (text) => {
      try {
        const p = parsePaymentBody(text);
        return (
          Number.isInteger(p.amountCents) &&
          p.amountCents >= 1 &&
          p.amountCents <= MAX_AMOUNT_CENTS &&
          /^[0-9a-f-]{36}$/.test(p.correlationId)
        );
      } catch (err) {
        return err instanceof ApiError && err.status === 400;
      }
    }),
    { numRuns: 5000 },
  );
  t.pass('5000 cases');
});
