// Lowers the scheduling priority of the calling thread only, so that the HTTP thread of the
// same process is scheduled first when both are ready to run: answers wait less behind
// payment work. Linux applies setpriority() to one thread when given that thread's id,
// which /proc/thread-self names; raising the nice value needs no privilege.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The kernel's id of the calling thread, or null where /proc/thread-self does not exist. */
export function currentThreadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** Sets the calling thread's nice value (0 leaves it alone); returns whether it was applied. */
export function niceCurrentThread(nice: number): boolean {
  if (nice === 0) return false;
  const tid = currentThreadId();
  if (tid === null) return false;
  try {
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
