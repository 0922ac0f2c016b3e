// Every error a client can see, with its stable code, HTTP status and message.

export interface ApiErrorSpec {
  status: number;
  message: string;
}

export const API_ERRORS = {
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON.' },
  BODY_NOT_OBJECT: { status: 400, message: 'The body must be a JSON object.' },
  MISSING_FIELD: { status: 400, message: 'A required field is missing.' },
  UNKNOWN_FIELD: { status: 400, message: 'The body has a field this endpoint does not take.' },
  INVALID_CORRELATION_ID: { status: 400, message: 'correlationId must be a UUID string.' },
  INVALID_AMOUNT: {
    status: 400,
    message: 'amount must be a number greater than 0, at most 10000000, with at most 2 decimals.',
  },
  INVALID_TIMESTAMP: {
    status: 400,
    message: 'from and to must be ISO-8601 timestamps, e.g. 2025-07-10T12:34:56.000Z.',
  },
  INVALID_WINDOW: { status: 400, message: 'from must not be after to.' },
  SUMMARY_WINDOW_TOO_LONG: {
    status: 400,
    message:
      'A summary over a window longer than SUMMARY_OPEN_WINDOW_MS, or without from or to, needs the admin token: ' +
      'Authorization: Bearer <ADMIN_TOKEN>.',
  },
  BODY_TOO_LARGE: { status: 413, message: 'The body is larger than this endpoint accepts.' },
  UNAUTHORIZED: {
    status: 401,
    message: 'This route needs the admin token: Authorization: Bearer <ADMIN_TOKEN>.',
  },
  NOT_FOUND: { status: 404, message: 'No such route.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This route does not take that method.' },
  SHUTTING_DOWN: { status: 503, message: 'This instance is shutting down; try again.' },
  STORE_UNAVAILABLE: {
    status: 503,
    message: 'The payment store cannot take this now; try again (retrying a payment with its correlationId is safe).',
  },
  INTERNAL: { status: 500, message: 'Unexpected error.' },
} as const satisfies Record<string, ApiErrorSpec>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    readonly detail?: string,
  ) {
    super(API_ERRORS[code].message);
    this.status = API_ERRORS[code].status;
  }

  toJSON(): { error: ApiErrorCode; message: string; detail?: string } {
    return this.detail === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, detail: this.detail };
  }
}
