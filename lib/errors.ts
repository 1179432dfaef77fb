// The console's one error hierarchy. A UserError's message is written for the person using the
// console and is shown as it is (it names no tenant outside their scope, no SQL, no stack);
// anything else that escapes an action is a bug or an outage, logged on the server and answered
// with a message that leaks nothing (lib/actions/pipeline.ts).

export class UserError extends Error {
  override name = "UserError";
}

/** The role or the tenant scope does not allow it. */
export class ForbiddenError extends UserError {
  override name = "ForbiddenError";
}

/** Allowed, but only with a recent sign-in (escalations, relaxing a tenant's policy). */
export class ReauthRequiredError extends ForbiddenError {
  override name = "ReauthRequiredError";
}

/** Nothing with that id in the caller's scope (never "exists, but not yours"). */
export class NotFoundError extends UserError {
  override name = "NotFoundError";
}

/** The target's state forbids it now (already revoked, name taken, …). */
export class ConflictError extends UserError {
  override name = "ConflictError";
}

/** A refusal that belongs to one form field, shown beside it. */
export class FieldError extends UserError {
  override name = "FieldError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
