import { RouteLoading } from "@/components/ui/route-states";

export default function Loading() {
  return <RouteLoading what="the capability" />;
}
