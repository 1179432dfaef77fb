import { RouteLoading } from "@/components/route/route-states";

export default function Loading() {
  return <RouteLoading what="the capability" />;
}
