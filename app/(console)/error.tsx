"use client";

import { routeError } from "@/components/ui/route-states";

// Every console route without its own error.tsx falls back to this; the shell (nav, user menu) stays.
// (There is deliberately no loading.tsx at this level: it would wrap every page in one Suspense
// boundary, start the response before a page's permission check, and turn 403/404 into 200.)
export default routeError("This page");
