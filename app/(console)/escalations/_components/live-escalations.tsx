"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition } from "react";

const POLL_MS = 2000;

/**
 * Keeps the Escalations page current: every 2 s it reads the tenant's escalation states
 * (app/api/escalations/state, authorized per request) and, when their signature differs from the
 * one the page was rendered with (a pick-up, a use, an expiry, a revocation), refreshes the
 * server-rendered tables in place. Form fields and shown tokens are client state and survive.
 * A 401/403 (the session ended) stops it and says so.
 */
export function LiveEscalations({ signature }: { signature: string }) {
  const router = useRouter();
  const [, startRefresh] = useTransition();
  const rendered = useRef(signature);
  const [state, setState] = useState<"live" | "ended" | "offline">("live");
  useEffect(() => {
    rendered.current = signature;
  }, [signature]);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = () => {
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    async function tick() {
      if (document.hidden) return next();
      try {
        const res = await fetch("/api/escalations/state", { cache: "no-store" });
        if (res.status === 401 || res.status === 403) {
          setState("ended");
          return;
        }
        if (!res.ok) throw new Error(String(res.status));
        const feed = (await res.json()) as { signature: string };
        setState("live");
        if (feed.signature !== rendered.current) {
          rendered.current = feed.signature;
          startRefresh(() => router.refresh());
        }
      } catch {
        setState("offline");
      }
      next();
    }
    next();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [router]);
  return (
    <p className="muted esc-live" role="status" data-testid="escalations-live">
      {state === "live"
        ? "Live: uses, pick-ups and expiries appear here as they happen."
        : state === "ended"
          ? "Live updates stopped: your session has ended. Sign in again to see the current state."
          : "Live updates paused: the console did not answer. Retrying…"}
    </p>
  );
}
