import t from 'tap';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { currentThreadId, niceCurrentThread } from '../../src/core/thread-priority';
import { assertBuildFresh } from '../fixtures/fresh-build';

assertBuildFresh();

// Runs niceCurrentThread in a worker thread and reports that thread's id, so the test can read
// back the nice value of both threads from outside.
function niceInWorker(nice: number): Promise<{ tid: number; applied: boolean }> {
  // The built file: a worker's plain require cannot load the .ts source tap runs (`npm test` builds first).
  const modulePath = join(__dirname, '../../dist/src/core/thread-priority.js');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { currentThreadId, niceCurrentThread } = require(workerData.modulePath);
    const applied = niceCurrentThread(workerData.nice);
    parentPort.postMessage({ tid: currentThreadId(), applied });
    setTimeout(() => {}, 200); // stay alive while the test reads the nice value
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { modulePath, nice } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

t.test('the calling thread gets the nice value; the process main thread keeps its own', async (t) => {
  const mainTid = currentThreadId();
  t.equal(mainTid, process.pid, 'the main thread id is the process id');
  const before = getPriority(process.pid);
  const lower = Math.min(19, before + 7);
  const { tid, applied } = await niceInWorker(lower);
  t.ok(applied);
  t.not(tid, process.pid, 'the worker is a thread of its own');
  t.equal(getPriority(tid), lower, 'the worker thread runs at the lower priority');
  t.equal(getPriority(process.pid), before, 'the main thread is left alone');
});

t.test('0 leaves the thread alone', async (t) => {
  const before = getPriority(process.pid);
  t.notOk(niceCurrentThread(0));
  t.equal(getPriority(process.pid), before);
});
