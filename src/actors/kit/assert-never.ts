/** The end of an exhaustive switch over a message union: a message type without its case fails to compile. */
export function assertNever(x: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(x)}`);
}
