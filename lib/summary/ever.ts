// "Did it ever…?" on the capability page: the question and its answer as sentences, so the answer
// restates what was asked ("No: 0 of 412 calls under this capability wrote an Order").

import { formatTime, plural } from "@/lib/format/time";

const PAST: Record<string, string> = {
  read: "read",
  write: "wrote",
  create: "created",
  delete: "deleted",
  update: "updated",
  list: "listed",
  grant: "granted",
  send: "sent",
  export: "exported",
};

// "writes to Order", "reads of Order", "deletes of Order"; others "grant calls on Admin".
const NOUN: Record<string, [string, string, string]> = {
  write: ["write", "writes", "to"],
  read: ["read", "reads", "of"],
  create: ["creation", "creations", "of"],
  delete: ["deletion", "deletions", "of"],
  update: ["update", "updates", "to"],
};

function article(word: string): string {
  return /^[aeiouAEIOU]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** "write an Order", "grant an Admin" (the question's verb phrase). */
export function everQuestion(action: string, resourceType: string): string {
  return `Did this capability, or anything derived from it, ever ${action} ${article(resourceType)}?`;
}

export interface EverAnswerInput {
  action: string;
  resourceType: string;
  calls: number;
  matches: number;
  first: Date | null;
  refused: number;
}

/** "Yes: 3 writes to Order, first at … UTC" or "No: 0 of 412 calls under this capability wrote an Order". */
export function everAnswer(a: EverAnswerInput): { yes: boolean; text: string; refusedText: string | null } {
  const refusedText =
    a.refused > 0
      ? `${plural(a.refused, "attempt")} to ${a.action} ${article(a.resourceType)} ${a.refused === 1 ? "was" : "were"} refused.`
      : null;
  if (a.matches > 0) {
    const [one, many, prep] = NOUN[a.action] ?? [`${a.action} call`, `${a.action} calls`, "on"];
    return {
      yes: true,
      text: `Yes: ${a.matches.toLocaleString("en")} ${a.matches === 1 ? one : many} ${prep} ${a.resourceType}, first at ${formatTime(a.first)}.`,
      refusedText,
    };
  }
  const did = PAST[a.action] ?? `did ${a.action} on`;
  return {
    yes: false,
    text: `No: 0 of ${plural(a.calls, "call")} under this capability ${did} ${article(a.resourceType)}.`,
    refusedText,
  };
}
