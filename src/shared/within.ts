// A wait with a bound, for what must answer even when a store does not (a scrape, a page).

/** `promise`'s value, or null if it fails or has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([promise.catch(() => null), late]).finally(() => clearTimeout(timer));
}
