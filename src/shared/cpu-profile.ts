// An optional CPU profile of a thread (CPU_PROFILE_DIR): started with the thread's
// part of the instance, written when the instance closes. `node --cpu-prof` cannot serve here: it writes
// nothing when the process exits from the uWS thread. Open the file in Chrome DevTools
// or summarise it with `node dist/tools/bench/profile-summary.js <file>`.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

export interface CpuProfile {
  /** Stops profiling and writes the profile file. */
  stop(): Promise<void>;
}

export function startCpuProfile(file: string): CpuProfile {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  const started = post('Profiler.enable')
    .then(() => post('Profiler.setSamplingInterval', { interval: 200 }))
    .then(() => post('Profiler.start'));
  return {
    stop: async () => {
      await started;
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
