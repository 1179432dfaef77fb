"use client";

import { RouteError } from "@/components/ui/route-states";

export default function ErrorPage({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <RouteError
      what="This capability"
      error={error}
      reset={reset}
      back={{ href: "/events", label: "Back to the explorer" }}
    />
  );
}
