import t from 'tap';
import { ApiError } from '../../src/http/errors';
import { parseSummaryWindow } from '../../src/http/summary-query';

t.test('optional ISO-8601 bounds', async (t) => {
  t.same(parseSummaryWindow('', ''), { from: null, to: null });
  t.same(parseSummaryWindow('2025-07-10T12:34:56.000Z', ''), { from: new Date('2025-07-10T12:34:56.000Z'), to: null });
  t.same(
    parseSummaryWindow('2025-07-10T12:34:56Z', '2025-07-10T12:35:56.123+00:00').to,
    new Date('2025-07-10T12:35:56.123Z'),
  );
  t.same(
    parseSummaryWindow('2025-07-10T12:34:56', '').from,
    new Date('2025-07-10T12:34:56Z'),
    'no zone: UTC, as the processors read it',
  );
  t.same(parseSummaryWindow('2025-07-10T12:34', '').from, new Date('2025-07-10T12:34:00Z'));
});

t.test('malformed or reversed bounds are 400s', async (t) => {
  for (const bad of ['yesterday', '2025-07-10', '2025-13-10T00:00:00Z', '2025-07-10T25:00:00Z', '1720000000']) {
    t.throws(() => parseSummaryWindow(bad, ''), { code: 'INVALID_TIMESTAMP', status: 400 }, bad);
  }
  try {
    parseSummaryWindow('2025-07-10T12:00:00Z', '2025-07-10T11:00:00Z');
    t.fail('should throw');
  } catch (err) {
    t.equal((err as ApiError).code, 'INVALID_WINDOW');
    t.equal((err as ApiError).status, 400);
  }
});
