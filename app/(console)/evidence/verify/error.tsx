"use client";

import { routeError } from "@/components/ui/route-states";

export default routeError("Evidence");
