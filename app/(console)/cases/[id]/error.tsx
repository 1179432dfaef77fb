"use client";

import { routeError } from "@/components/ui/route-states";

export default routeError("This case", { href: "/cases", label: "All cases" });
