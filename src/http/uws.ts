// Loads uWebSockets.js and refuses to go on without its native binary: the
// package silently falls back to a slow pure-JS server when the binary fails to load.
import * as uws from '@trufflesuite/uws-js-unofficial';

export class NativeUwsMissingError extends Error {
  constructor() {
    super(
      'uWebSockets.js native binary did not load (@trufflesuite/uws-js-unofficial fell back to its JavaScript ' +
        'server). ' +
        'This needs Linux x64 with glibc and Node 16/18/20; reinstall with `npm ci` on the target machine.',
    );
  }
}

export function loadUws(module: { getParts?: unknown } = uws): typeof uws {
  if (typeof module.getParts !== 'function') throw new NativeUwsMissingError();
  return uws;
}
