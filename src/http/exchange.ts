// One request and its answer, by uWS' rules (docs/stack-facts.md): onAborted before any deferred
// answer, every later answer inside res.cork, status before headers before end, and nothing
// written after an abort or an end.
import type { HttpResponse } from '@trufflesuite/uws-js-unofficial';
import { ApiError } from './errors';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  202: '202 Accepted',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/** Tracks whether a response may still be written: after abort or end it must not be touched. */
export interface Exchange {
  res: HttpResponse;
  done: boolean;
  /** This server's count of requests in progress. */
  live: { n: number };
}

export function open(res: HttpResponse, live: { n: number }): Exchange {
  const ex: Exchange = { res, done: false, live };
  live.n++;
  res.onAborted(() => {
    if (!ex.done) live.n--;
    ex.done = true;
  });
  return ex;
}

export function send(
  ex: Exchange,
  status: number,
  body: string,
  contentType = 'application/json',
  extraHeaders: Record<string, string> = {},
): void {
  if (ex.done) return;
  ex.done = true;
  ex.live.n--;
  ex.res.cork(() => {
    ex.res.writeStatus(STATUS_TEXT[status] ?? `${status}`);
    if (body.length > 0) ex.res.writeHeader('content-type', contentType);
    for (const [k, v] of Object.entries(extraHeaders)) ex.res.writeHeader(k, v);
    ex.res.end(body);
  });
}

export function sendError(ex: Exchange, err: unknown, extraHeaders: Record<string, string> = {}): void {
  const apiError = err instanceof ApiError ? err : new ApiError('INTERNAL');
  send(ex, apiError.status, JSON.stringify(apiError), 'application/json', extraHeaders);
}

const utf8 = new TextDecoder();

/** Reads the whole body, or answers 413 and closes once it passes maxBytes. */
export function readBody(
  ex: Exchange,
  maxBytes: number,
  onBody: (text: string) => void,
  onTooLarge?: () => void,
): void {
  let chunks: Buffer[] | null = null;
  let size = 0;
  ex.res.onData((chunk, isLast) => {
    if (ex.done) return;
    size += chunk.byteLength;
    if (size > maxBytes) {
      sendError(ex, new ApiError('BODY_TOO_LARGE'), { connection: 'close' });
      onTooLarge?.();
      return;
    }
    // The usual case, the whole body in one chunk: decode it in place, no copy.
    if (isLast && chunks === null) return onBody(utf8.decode(chunk));
    // The chunk's memory is reused once this callback returns: copy it (once).
    (chunks ??= []).push(Buffer.from(chunk.slice(0)));
    if (isLast) onBody(utf8.decode(Buffer.concat(chunks)));
  });
}
