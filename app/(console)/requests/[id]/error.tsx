"use client";

import { routeError } from "@/components/ui/route-states";

export default routeError("This request", { href: "/requests", label: "All requests" });
