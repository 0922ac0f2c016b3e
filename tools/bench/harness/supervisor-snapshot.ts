// One instance's supervisor as /actors shows it, read through the stack's Nginx by the instance's name:
// what the benchmarks count a backlog or a hand-over by.
import type { SupervisorSnapshot } from '../../../src/actors/supervisor/protocol';

export async function supervisorSnapshot(url: string, instance: string): Promise<SupervisorSnapshot> {
  const res = await fetch(`${url}/instances/${instance}/actors`);
  return ((await res.json()) as { supervisor: SupervisorSnapshot }).supervisor;
}
