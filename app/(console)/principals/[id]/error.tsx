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
      what="This person's day"
      error={error}
      reset={reset}
      back={{ href: "/principals", label: "All principals" }}
    />
  );
}
