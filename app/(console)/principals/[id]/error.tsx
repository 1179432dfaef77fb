"use client";

import { routeError } from "@/components/ui/route-states";

export default routeError("This person's day", { href: "/principals", label: "All principals" });
