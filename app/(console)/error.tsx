"use client";

import { RouteError } from "@/components/ui/route-states";

// Every console route without its own error.tsx falls back to this; the shell (nav, user menu) stays.
export default function ConsoleError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return <RouteError error={error} reset={reset} />;
}
