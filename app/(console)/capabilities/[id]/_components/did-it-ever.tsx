import Link from "next/link";
import { z } from "zod";
import type { Authority } from "@/lib/auth/authority";
import { can } from "@/lib/auth/permissions";
import { didItEver, usedOperations } from "@/lib/data/capabilities";
import { getDb } from "@/lib/server/db";
import { everAnswer, everQuestion } from "@/lib/summary/ever";

export const everSchema = z.object({
  ever: z.string().regex(/^[A-Za-z][\w.-]{0,63}$/, {
    error: "resource type: letters, digits, . _ - (up to 64), e.g. Order",
  }),
  do: z
    .string()
    .regex(/^[A-Za-z][\w.-]{0,31}$/, { error: "action: letters, digits, . _ - (up to 32), e.g. write" }),
});

/**
 * The question as a sentence, its answer right under it, and the form to ask another: the answer
 * restates the question, and the section is its own anchor so a new question lands here in view.
 */
export async function DidItEver({
  authority,
  cap,
  asked,
  rights,
}: {
  authority: Authority;
  cap: { id: string; tenant: string };
  asked: { ever?: string; do?: string };
  rights: { resource: string; actions: string[] }[];
}) {
  const db = await getDb();
  const parsed = asked.ever || asked.do ? everSchema.safeParse(asked) : null;
  const [seen, answer] = await Promise.all([
    usedOperations(db, authority, cap),
    parsed?.success
      ? didItEver(db, authority, { ...cap, resourceType: parsed.data.ever, action: parsed.data.do })
      : Promise.resolve(null),
  ]);
  const resources = [...new Set([...rights.map((r) => r.resource), ...seen.map((s) => s.resourceType ?? "")])]
    .filter(Boolean)
    .sort();
  const actions = [
    ...new Set(["write", "read", ...rights.flatMap((r) => r.actions), ...seen.map((s) => s.action ?? "")]),
  ].filter(Boolean);
  const chosen = parsed?.success
    ? parsed.data
    : { ever: resources.includes("Order") ? "Order" : (resources[0] ?? "Order"), do: "write" };
  const words = answer ? everAnswer(answer) : null;
  const fieldErrors = parsed && !parsed.success ? z.flattenError(parsed.error).fieldErrors : {};
  const explorer = `/events?${new URLSearchParams({
    q: `under:${cap.id} resource:${chosen.ever} action:${chosen.do} outcome:allowed`,
    range: "all",
  }).toString()}`;
  const base = `/capabilities/${cap.id}`;
  return (
    <section className="card ever" id="did-it-ever" aria-labelledby="ever-title" data-testid="did-it-ever">
      <h2 id="ever-title" style={{ marginTop: 0 }}>
        Did it ever…?
      </h2>
      {answer && words ? (
        <div aria-live="polite">
          <p className="ever-question" data-testid="ever-question">
            {everQuestion(answer.action, answer.resourceType)}
          </p>
          <p className={`ever-answer ${words.yes ? "error" : "ok"}`} data-testid="ever-answer">
            <strong>{words.text}</strong>{" "}
            {words.yes && can(authority, "events.read.full") ? (
              <Link href={explorer}>See these calls in the explorer</Link>
            ) : null}
          </p>
          {words.refusedText ? <p className="muted">{words.refusedText}</p> : null}
        </div>
      ) : (
        <p className="muted">
          Ask whether this capability, or anything derived from it, ever did one operation: the answer counts
          its calls.
        </p>
      )}
      <form action={`${base}#did-it-ever`} className="row-actions" aria-label="Ask: did it ever…?">
        <input type="hidden" name="tenant" value={cap.tenant} />
        <label>
          Action{" "}
          <input
            name="do"
            list="ever-actions"
            defaultValue={chosen.do}
            aria-invalid={fieldErrors.do ? true : undefined}
            aria-describedby={fieldErrors.do ? "ever-do-error" : undefined}
            size={10}
          />
        </label>
        <datalist id="ever-actions">
          {actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label>
          Resource type{" "}
          <input
            name="ever"
            list="ever-resources"
            defaultValue={chosen.ever}
            aria-invalid={fieldErrors.ever ? true : undefined}
            aria-describedby={fieldErrors.ever ? "ever-error" : undefined}
            size={14}
          />
        </label>
        <datalist id="ever-resources">
          {resources.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
        <button type="submit">Did it ever…?</button>
      </form>
      {fieldErrors.do ? (
        <p id="ever-do-error" className="error" role="alert">
          {fieldErrors.do[0]}
        </p>
      ) : null}
      {fieldErrors.ever ? (
        <p id="ever-error" className="error" role="alert">
          {fieldErrors.ever[0]}
        </p>
      ) : null}
    </section>
  );
}
