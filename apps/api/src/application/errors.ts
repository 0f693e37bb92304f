/**
 * Refusals of the application layer: what the HTTP request or the command
 * path refuses before or around the domain's rules (revision checks,
 * idempotency, races, views that lag). Plain errors with a code: the HTTP
 * edge (ProblemFilter) alone knows their status and headers. Messages are
 * fixed texts and never repeat request content (decision 11).
 */
export interface FieldProblem {
  /** Path in the request, e.g. `heldAt`, `screening.psychosis`, `If-Match`. */
  field: string;
  message: string;
}

export type ApplicationErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'course_not_found'
  | 'course_exists'
  | 'projection_not_found'
  | 'concurrency_conflict'
  | 'revision_mismatch'
  | 'idempotency_key_reused'
  | 'view_not_ready'
  | 'client_closed_request'
  | 'checkpoint_not_found';

export class ApplicationError extends Error {
  override readonly name: string = 'ApplicationError';

  constructor(
    readonly code: ApplicationErrorCode,
    message: string,
    /** Extra members of the problem body, e.g. `errors` or `currentRevision`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Malformed or out-of-range request content: every problem found, field by field. */
export class InvalidRequest extends ApplicationError {
  override readonly name = 'InvalidRequest';

  constructor(
    readonly errors: FieldProblem[],
    message = 'the request is not valid',
  ) {
    super('validation_failed', message, { errors });
  }
}

export class Unauthenticated extends ApplicationError {
  override readonly name = 'Unauthenticated';

  constructor(message = 'a bearer token is required') {
    super('unauthorized', message);
  }
}

export class Forbidden extends ApplicationError {
  override readonly name = 'Forbidden';

  constructor(message: string) {
    super('forbidden', message);
  }
}

/** No such course in the caller's clinic (views and audit; commands use the domain's rule 1). */
export class CourseNotFound extends ApplicationError {
  override readonly name = 'CourseNotFound';

  constructor(message = 'no such course') {
    super('course_not_found', message);
  }
}

/** Enrolling a courseId another clinic uses (decision 1): reveals nothing but that it is taken. */
export class CourseIdTaken extends ApplicationError {
  override readonly name = 'CourseIdTaken';

  constructor() {
    super('course_exists', 'a course with this courseId exists');
  }
}

/** `If-Match` no longer matches the course's revision. */
export class RevisionMismatch extends ApplicationError {
  override readonly name = 'RevisionMismatch';

  constructor(readonly currentRevision?: number) {
    super(
      'revision_mismatch',
      'the course is no longer at the revision of If-Match',
      currentRevision === undefined ? {} : { currentRevision },
    );
  }
}

/** The command kept losing the race to concurrent writers (decision 4). */
export class ConcurrencyConflict extends ApplicationError {
  override readonly name = 'ConcurrencyConflict';

  constructor() {
    super('concurrency_conflict', 'the course kept changing while the command was decided; retry');
  }
}

/** An Idempotency-Key sent again with a different request (domain rule 15). */
export class IdempotencyKeyReused extends ApplicationError {
  override readonly name = 'IdempotencyKeyReused';

  constructor() {
    super('idempotency_key_reused', 'this Idempotency-Key was used for a different request');
  }
}

/** `X-Min-Revision` waited and the read model did not get there (decision 6). */
export class ViewNotReady extends ApplicationError {
  override readonly name = 'ViewNotReady';

  constructor(minRevision: number, waitedSeconds: number) {
    super(
      'view_not_ready',
      `the view has not reached revision ${minRevision} within ${waitedSeconds} s`,
    );
  }
}

/** Too many reads already wait on X-Min-Revision (the cap of MAX_VIEW_WAITERS). */
export class TooManyWaiters extends ApplicationError {
  override readonly name = 'TooManyWaiters';

  constructor() {
    super('view_not_ready', 'too many reads are waiting for the projections; retry shortly');
  }
}

/** The client closed the connection while its read waited: nobody is left to answer. */
export class ClientGone extends ApplicationError {
  override readonly name = 'ClientGone';

  constructor() {
    super('client_closed_request', 'the client closed the connection');
  }
}

export class ProjectionNotFound extends ApplicationError {
  override readonly name = 'ProjectionNotFound';

  constructor() {
    super('projection_not_found', 'no projection of that name');
  }
}

/** No checkpoint has been issued yet (an empty ledger, or the first one is due). */
export class CheckpointNotFound extends ApplicationError {
  override readonly name = 'CheckpointNotFound';

  constructor() {
    super('checkpoint_not_found', 'no checkpoint has been issued yet');
  }
}
