// Typed errors that carry their HTTP meaning. Messages follow the original's prefixes
// (reference/storage-controller.md §4.1) so callers that match on them keep working.

export abstract class ApiError extends Error {
  abstract readonly status: number;
  /** Extra response headers, e.g. retry-after for 503. */
  headers: Record<string, string> = {};
  /** Body to send instead of {"msg"}: some statuses answer with JSON null. */
  body?: unknown;
}

export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
  readonly status = 400;
}

export class UnauthorizedError extends ApiError {
  override name = 'UnauthorizedError';
  readonly status = 401;
  constructor(detail: string) {
    super(`Unauthorized: ${detail}`);
  }
}

export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
  readonly status = 403;
  constructor() {
    // The original never says why, so that a probe learns nothing about the key or scopes.
    super('Forbidden: JWT authentication error');
  }
}

export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
  readonly status = 404;
  constructor(detail: string) {
    super(`NotFound: ${detail}`);
  }
}

export class TimeoutError extends ApiError {
  override name = 'TimeoutError';
  readonly status = 408;
}

export class ConflictError extends ApiError {
  override name = 'ConflictError';
  readonly status = 409;
  constructor(detail: string) {
    super(`Conflict: ${detail}`);
  }
}

/** 412: the request is valid, but the state it needs does not hold (an operation in progress, a worse-scoring node). */
export class PreconditionFailedError extends ApiError {
  override name = 'PreconditionFailedError';
  readonly status = 412;
  constructor(detail: string) {
    super(`Precondition failed: ${detail}`);
  }
}

export class UnavailableError extends ApiError {
  override name = 'UnavailableError';
  readonly status = 503;
  constructor(message: string, retryAfterSeconds?: number) {
    super(message);
    if (retryAfterSeconds !== undefined) this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

export class InternalError extends ApiError {
  override name = 'InternalError';
  readonly status = 500;
}

/** A conditional write lost a race: the item changed (or vanished) since it was read. */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
  constructor(
    message: string,
    /** The item as it is now, when the store could tell (ReturnValuesOnConditionCheckFailure). */
    readonly current?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * DynamoDB kept cancelling a write because another transaction in flight held one of its items
 * (TransactionConflict), after bounded retries. Nothing was written; the same request may simply be
 * sent again a moment later. The API answers 503 with this retry hint.
 */
export class TransactionConflictError extends Error {
  override name = 'TransactionConflictError';
  readonly retryAfterSeconds = 1;
}

/** A pageserver call failed: refused with a status, or (status null) never answered. */
export class PageserverError extends Error {
  override name = 'PageserverError';
  constructor(
    message: string,
    /** HTTP status, or null when the request never got an answer. */
    readonly status: number | null,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** A location_config call abandoned before it was sent: its generation was superseded meanwhile. */
export class SupersededError extends PageserverError {
  override name = 'SupersededError';
  constructor(message: string) {
    super(message, null, false);
  }
}
