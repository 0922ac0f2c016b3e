// Why a claim or an assignment does not count yet: too few replicas confirmed it, or Redis lost the dedupe memory.

/** Fewer replicas than REDIS_MIN_REPLICAS confirmed a write in time: it does not count yet, and is tried again. */
export class ReplicaLagError extends Error {
  constructor(wanted: number, confirmed: number, timeoutMs: number) {
    super(`UNREPLICATED: ${confirmed} of ${wanted} replicas confirmed the write within ${timeoutMs} ms`);
    this.name = 'ReplicaLagError';
  }
}

/** How many replicas must hold a claim or an assignment before it counts (0: none), and how long to wait. */
export interface ReplicaWait {
  count: number;
  timeoutMs: number;
}

/** Redis no longer holds the dedupe marker this instance knew: claims wait until it is rebuilt. */
export class DedupeLostError extends Error {
  constructor() {
    super('the dedupe memory in Redis was lost (its marker is gone): claims wait until it is rebuilt');
    this.name = 'DedupeLostError';
  }
}
