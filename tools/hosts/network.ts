// Hosts on one machine, made of network namespaces (Debian's iproute2): each host is a namespace
// `rh-<name>` with its own loopback and one veth pair whose other end sits on a bridge in the root
// namespace (`rh-br0`, 10.77.0.1/24). The root namespace (the load generator, the processors) reaches
// every host through the bridge, and the hosts reach each other and 10.77.0.1. Only these addresses
// are ever targets. A host is cut off by taking its end of the link down, and put back by raising it.
import { execFileSync } from 'node:child_process';

export const BRIDGE = 'rh-br0';
export const BRIDGE_IP = '10.77.0.1';

export interface Host {
  name: string;
  /** The namespace's name, for `ip netns exec`. */
  ns: string;
  ip: string;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function quietly(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone, or never made
  }
}

/**
 * Traffic between two hosts crosses the bridge, and where br_netfilter is loaded (Docker loads it, and sets
 * the FORWARD policy to DROP) it passes iptables' FORWARD chain: this rule lets the bridge's own traffic through.
 */
const FORWARD_RULE = ['FORWARD', '-i', BRIDGE, '-o', BRIDGE, '-j', 'ACCEPT'];

function iptables(...args: string[]): boolean {
  try {
    execFileSync('iptables', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every namespace and link this harness ever made (rh-*), removed: a run that crashed leaves nothing behind. */
export function removeAll(): void {
  while (iptables('-D', ...FORWARD_RULE)) {
    // once per copy of the rule
  }
  for (const line of ip('netns', 'list').split('\n')) {
    const ns = line.split(' ')[0];
    if (!ns.startsWith('rh-')) continue;
    // A namespace lives on while a process runs in it: what a crashed run left there goes first.
    for (const pid of ip('netns', 'pids', ns).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    quietly('netns', 'delete', ns);
  }
  for (const link of new Set(ip('-o', 'link').match(/\brh-[\w-]+/g) ?? [])) quietly('link', 'delete', link);
}

export function createBridge(): void {
  removeAll();
  ip('link', 'add', BRIDGE, 'type', 'bridge');
  ip('addr', 'add', `${BRIDGE_IP}/24`, 'dev', BRIDGE);
  ip('link', 'set', BRIDGE, 'up');
  iptables('-I', ...FORWARD_RULE);
}

/** A host at 10.77.0.<octet>, linked to the bridge. */
export function createHost(name: string, octet: number): Host {
  const ns = `rh-${name}`;
  const inside = `${ns}-h`.slice(0, 15);
  const outside = `${ns}-b`.slice(0, 15);
  ip('netns', 'add', ns);
  ip('link', 'add', inside, 'type', 'veth', 'peer', 'name', outside);
  ip('link', 'set', inside, 'netns', ns);
  ip('link', 'set', outside, 'master', BRIDGE);
  ip('link', 'set', outside, 'up');
  const hostIp = `10.77.0.${octet}`;
  ip('-n', ns, 'addr', 'add', `${hostIp}/24`, 'dev', inside);
  ip('-n', ns, 'link', 'set', inside, 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  return { name, ns, ip: hostIp };
}

/** Cuts the host off the network (its link down: every packet to or from it is lost), or puts it back. */
export function setCutOff(host: Host, cut: boolean): void {
  ip('link', 'set', `${host.ns}-b`.slice(0, 15), cut ? 'down' : 'up');
}

/** The command line that runs `command` inside the host. */
export function inHost(host: Host, command: string, args: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', host.ns, command, ...args]];
}
