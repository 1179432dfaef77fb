"use client";

import { useState, useTransition } from "react";

export interface ActionMessage {
  ok: boolean;
  text: string;
}

/**
 * Runs a server action in a transition and keeps the line to show after it: `success` when it
 * worked, the action's own error otherwise.
 */
export function useActionMessage() {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<ActionMessage | null>(null);
  function run(success: string, action: () => Promise<{ ok: boolean; error?: string }>) {
    startTransition(async () => {
      const res = await action();
      setMessage(res.ok ? { ok: true, text: success } : { ok: false, text: res.error ?? "Failed." });
    });
  }
  return { pending, message, run };
}
