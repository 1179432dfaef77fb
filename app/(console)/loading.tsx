import { RouteLoading } from "@/components/ui/route-states";

// Every console route without its own loading.tsx shows this while its page loads.
export default function Loading() {
  return <RouteLoading />;
}
