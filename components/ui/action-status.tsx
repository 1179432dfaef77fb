import type { ActionMessage } from "./use-action-message";

/** The line that says how the last action went (useActionMessage's `message`), read out politely. */
export function ActionStatus({ message }: { message: ActionMessage | null }) {
  return (
    <p role="status" aria-live="polite" className={message?.ok ? "ok" : "error"}>
      {message?.text}
    </p>
  );
}
