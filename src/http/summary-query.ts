// The from/to query of GET /payments-summary: optional ISO-8601 timestamps.
import { ApiError } from './errors';
import type { SummaryWindow } from '../domain/summary-window';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

function parseTimestamp(raw: string): Date | null {
  if (raw === '') return null;
  if (!ISO.test(raw)) throw new ApiError('INVALID_TIMESTAMP', raw);
  // Without a zone, the timestamp is UTC (as the processors read it).
  const text = /(Z|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new ApiError('INVALID_TIMESTAMP', raw);
  return date;
}

export function parseSummaryWindow(from: string, to: string): SummaryWindow {
  const window = { from: parseTimestamp(from), to: parseTimestamp(to) };
  if (window.from && window.to && window.from > window.to) throw new ApiError('INVALID_WINDOW');
  return window;
}

/** Whether a window is open at either end, or spans more than `maxMs`. */
export function windowLongerThan(window: SummaryWindow, maxMs: number): boolean {
  if (!window.from || !window.to) return true;
  return window.to.getTime() - window.from.getTime() > maxMs;
}
