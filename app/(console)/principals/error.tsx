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
      what="The principals"
      error={error}
      reset={reset}
      back={{ href: "/", label: "Back to the overview" }}
    />
  );
}
