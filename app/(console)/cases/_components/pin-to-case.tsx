"use client";

import { type PinActions, PinToCaseView } from "@/components/cases/pin-to-case";
import type { CaseItemKind } from "@/db/schema";
import { casesForRefAction, pinToCaseAction, pinToNewCaseAction } from "../actions";

const ACTIONS: PinActions = { list: casesForRefAction, pin: pinToCaseAction, pinToNew: pinToNewCaseAction };

/** "Pin to case" with the cases' server actions: one line on an event, capability or request view. */
export function PinToCase(props: { tenant: string | null; kind: CaseItemKind; refId: string }) {
  return <PinToCaseView {...props} actions={ACTIONS} />;
}
