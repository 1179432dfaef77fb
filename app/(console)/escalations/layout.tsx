import { refusingLayout } from "@/lib/auth/guard";

// Refuses outside this route's loading boundary, so a refusal is a real 403 (see refusingLayout).
export default refusingLayout("escalations.read");
