"use client";

import { routeError } from "@/components/ui/route-states";

export default routeError("This event", { href: "/events", label: "Back to the explorer" });
