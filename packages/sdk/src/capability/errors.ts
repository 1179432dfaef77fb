/**
 * Why a token was refused. Callers branch on `code`; `message` is safe to show and never
 * contains the token; `detail` keeps the raw biscuit error for logs and conformance tests.
 */
export type CapabilityErrorCode =
  | "malformed"
  | "bad_signature"
  | "unknown_key"
  | "revoked"
  | "denied"
  | "run_limit"
  | "execution"
  | "invalid_argument"
  | "attenuation_failed"
  | "internal";

export class CapabilityError extends Error {
  readonly code: CapabilityErrorCode;
  readonly detail: unknown;

  constructor(code: CapabilityErrorCode, message: string, detail?: unknown) {
    super(message);
    this.name = "CapabilityError";
    this.code = code;
    this.detail = detail;
  }
}

function firstKey(value: unknown): string | undefined {
  return value && typeof value === "object" ? Object.keys(value)[0] : undefined;
}

/** Maps the JSON error objects thrown by biscuit-wasm (not Error instances) to typed errors. */
export function fromBiscuitError(raw: unknown): CapabilityError {
  if (raw instanceof CapabilityError) return raw;
  if (raw instanceof Error) {
    // A wasm trap or a glue-code TypeError: still a refusal, never an uncaught exception.
    return new CapabilityError("malformed", `token rejected (${raw.name})`, { message: raw.message });
  }
  const top = firstKey(raw);
  const inner = top ? (raw as Record<string, unknown>)[top] : undefined;
  switch (top) {
    case "Format": {
      const kind = firstKey(inner) ?? (typeof inner === "string" ? inner : "unknown");
      const isSignature =
        kind === "Signature" || kind === "InvalidSignatureSize" || kind.includes("Signature");
      return new CapabilityError(
        isSignature ? "bad_signature" : "malformed",
        isSignature ? "token signature is invalid" : `token format error (${kind})`,
        raw,
      );
    }
    case "RunLimit":
      return new CapabilityError("run_limit", `authorization exceeded its run limit (${String(inner)})`, raw);
    case "FailedLogic":
      return new CapabilityError("denied", "authorization failed", raw);
    case "Execution":
      return new CapabilityError("execution", `datalog execution error (${firstKey(inner) ?? inner})`, raw);
    case "Base64":
      return new CapabilityError("malformed", "token is not valid base64", raw);
    default:
      return new CapabilityError("malformed", `token rejected (${top ?? typeof raw})`, raw);
  }
}
