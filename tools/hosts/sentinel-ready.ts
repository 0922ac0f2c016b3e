// Whether a sentinel can replace a dead primary yet: it must know every replica (it learns them from the
// primary's INFO, every 10 s) and its peers (from their hellos) before a fail-over can happen.
import Redis from 'ioredis';

export async function sentinelReady(
  address: { host: string; port: number },
  masterName: string,
  want: { replicas: number; peers: number },
): Promise<boolean> {
  const sentinel = new Redis(address.port, address.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
  sentinel.on('error', () => undefined);
  try {
    const flat = (await sentinel.call('SENTINEL', 'master', masterName)) as string[];
    const field = (name: string) => Number(flat[flat.indexOf(name) + 1]);
    return field('num-slaves') === want.replicas && field('num-other-sentinels') === want.peers;
  } finally {
    sentinel.disconnect();
  }
}
