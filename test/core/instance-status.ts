import t from 'tap';
import { StatusBoard } from '../../src/core/instance-status';
import { supervisorSnapshot, writerSnapshot } from '../fixtures/supervisor-snapshot';

t.test('a status says why payments are refused, and which store is at fault', async (t) => {
  const board = new StatusBoard('app1');
  const taking = board.record(supervisorSnapshot(), null, 1000);
  t.match(taking, { instance: 'app1', at: 1000, refusing: null, stores: { redis: 'ok', postgres: 'ok' } });
  t.same(board.status(supervisorSnapshot(), 'full', 1100).stores.redis, 'full', 'Redis full');
  t.same(board.status(supervisorSnapshot(), 'down', 1100).stores.redis, 'down', 'Redis down');
  const held = board.status(supervisorSnapshot(), 'held', 1100);
  t.same([held.refusing, held.stores.redis], ['held', 'ok'], 'MAX_HELD refuses payments; Redis is not at fault');
});

t.test('Postgres: failing after a failed INSERT, slow while the writers lag or one does not answer', async (t) => {
  const board = new StatusBoard('app1');
  const failed = (n: number) => supervisorSnapshot({ writers: [writerSnapshot({ failedFlushes: n })] });
  t.equal(board.record(failed(0), null, 1).stores.postgres, 'ok');
  t.equal(board.record(failed(2), null, 2).stores.postgres, 'failing', 'two INSERTs failed since the last record');
  t.equal(board.record(failed(2), null, 3).stores.postgres, 'ok', 'none since');
  t.equal(board.record(supervisorSnapshot({ oldestUnwrittenMs: 2500 }), null, 4).stores.postgres, 'slow');
  t.equal(board.record(supervisorSnapshot({ unanswered: 1, writers: [] }), null, 5).stores.postgres, 'slow');
  t.equal(
    board.status(supervisorSnapshot(), null, 6).stores.postgres,
    'slow',
    'status() without record() keeps the last judgement',
  );
});

t.test('the trend keeps one point per record, the newest `points` of them', async (t) => {
  const board = new StatusBoard('app1', 3);
  for (let i = 1; i <= 5; i++) board.record(supervisorSnapshot({ accepted: i * 10, held: i, claiming: 1 }), null, i);
  const { trend } = board.status(supervisorSnapshot(), 'full', 6);
  t.same(
    trend.map((p) => [p.at, p.accepted, p.held, p.notDurable, p.refusing]),
    [
      [3, 30, 3, 1, false],
      [4, 40, 4, 1, false],
      [5, 50, 5, 1, false],
    ],
  );
  board.record(supervisorSnapshot(), 'full', 7);
  t.equal(board.status(supervisorSnapshot(), null, 8).trend.at(-1)?.refusing, true, 'a refusing point');
});
