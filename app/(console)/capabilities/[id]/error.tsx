"use client";

import { routeError } from "@/components/ui/route-states";

export default routeError("This capability", { href: "/events", label: "Back to the explorer" });
