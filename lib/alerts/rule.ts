// An alert rule: which events count (the explorer's query language, so `under:<cap>` selects a
// capability's descendants and `field:ssn` a touched field), capability-aware conditions the
// language has no term for (depth, wider than its parent), an aggregation over a window per
// group, when (business hours in the tenant's zone), and how often the same alert may open again.
import { z } from "zod";
import { parseQuery } from "@/lib/query";

export const GROUP_KEYS = [
  "principal",
  "agent",
  "session",
  "request",
  "tool",
  "resource",
  "capability",
] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

const query = z
  .string()
  .trim()
  .max(2000, { error: "At most 2,000 characters." })
  .superRefine((q, ctx) => {
    const parsed = parseQuery(q);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error.message });
  });

const minutes = (max: number) => z.number().int().min(1).max(max);

export const aggregationSchema = z.discriminatedUnion("kind", [
  /** Every matching event opens an alert (subject to dedup). */
  z.strictObject({ kind: z.literal("each") }),
  /** At least `threshold` matching events of one group within the window. */
  z.strictObject({ kind: z.literal("count"), threshold: z.number().int().min(2).max(100_000) }),
  /** At least `threshold` distinct values of `of` within one group and window. */
  z.strictObject({
    kind: z.literal("distinct"),
    of: z.enum(GROUP_KEYS),
    threshold: z.number().int().min(2).max(100_000),
  }),
  /** A value of `of` the group has not had in the last `lookbackDays` (first use of a tool). */
  z.strictObject({
    kind: z.literal("new_value"),
    of: z.enum(GROUP_KEYS),
    lookbackDays: z.number().int().min(1).max(365),
  }),
  /** An event matching `followedBy` after one matching the rule's query, same group, within the window. */
  z.strictObject({ kind: z.literal("sequence"), followedBy: query }),
]);

export const alertDefinitionSchema = z.strictObject({
  query,
  /** Only events authorized by a capability at least this deep (0 = the root). */
  minDepth: z.number().int().min(0).max(64).optional(),
  /** Only events whose capability grants something its parent does not (must never happen). */
  widerThanParent: z.boolean().optional(),
  aggregation: aggregationSchema,
  groupBy: z.array(z.enum(GROUP_KEYS)).max(3).default([]),
  windowMinutes: minutes(7 * 24 * 60).default(5),
  /** The same group's alert does not open again within this many minutes. */
  dedupMinutes: minutes(30 * 24 * 60).default(60),
  /** Only events inside or outside the tenant's business hours. */
  hours: z.enum(["any", "inside", "outside"]).default("any"),
});
export type AlertDefinition = z.output<typeof alertDefinitionSchema>;

export const alertRuleInputSchema = z.object({
  tenant: z.string({ error: "Pick a tenant." }).trim().min(1, { error: "Pick a tenant." }).max(64),
  name: z
    .string({ error: "Name the rule." })
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ,.'()_-]{0,79}$/, {
      error: "Use 1–80 letters, digits, spaces or ,.'()_-.",
    }),
  severity: z.enum(["low", "medium", "high", "critical"], { error: "Pick a severity." }),
  definition: alertDefinitionSchema,
});

export interface BusinessHours {
  timeZone: string;
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  start: string;
  end: string;
}

export const businessHoursSchema = z.object({
  tenant: z.string().trim().min(1).max(64),
  timeZone: z.string().refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { error: "Not a time zone (use an IANA name such as Europe/Paris)." },
  ),
  days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "Use HH:MM." }),
  end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, { error: "Use HH:MM." }),
});

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Whether `at` falls inside the business hours, read on the wall clock of their time zone. */
export function insideBusinessHours(at: Date, hours: BusinessHours): boolean {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: hours.timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const day = WEEKDAY[get("weekday")] ?? 0;
  const clock = `${get("hour")}:${get("minute")}`;
  return hours.days.includes(day) && clock >= hours.start && clock < hours.end;
}

/** The rules the console ships as one-click examples (docs/alerts.md explains each). */
export const EXAMPLE_RULES: {
  name: string;
  severity: "low" | "medium" | "high" | "critical";
  definition: z.input<typeof alertDefinitionSchema>;
  why: string;
}[] = [
  {
    name: "Denials spike per principal",
    severity: "medium",
    why: "Ten or more refused tool calls by one person's agents within five minutes: probing, or a broken agent.",
    definition: {
      query: "type:tool.call outcome:denied",
      aggregation: { kind: "count", threshold: 10 },
      groupBy: ["principal"],
      windowMinutes: 5,
      dedupMinutes: 60,
    },
  },
  {
    name: "Escalation used outside business hours",
    severity: "high",
    why: "A 60-second escalation used at night or at the weekend, in the tenant's time zone.",
    definition: {
      query: "type:escalation.used",
      aggregation: { kind: "each" },
      groupBy: ["session"],
      hours: "outside",
      dedupMinutes: 10,
    },
  },
  {
    name: "Denied, then escalation requested",
    severity: "medium",
    why: "A refused call followed within five minutes by a request to escalate, by the same principal.",
    definition: {
      query: "type:tool.call outcome:denied",
      aggregation: { kind: "sequence", followedBy: "type:escalation.requested" },
      groupBy: ["principal"],
      windowMinutes: 5,
      dedupMinutes: 30,
    },
  },
  {
    name: "Child capability wider than its parent",
    severity: "critical",
    why: "Attenuation only narrows: a capability granting what its parent does not means a forged or broken issuer.",
    definition: {
      query: "",
      widerThanParent: true,
      aggregation: { kind: "each" },
      groupBy: ["capability"],
      dedupMinutes: 24 * 60,
    },
  },
  {
    name: "First use of a tool by an agent",
    severity: "low",
    why: "An agent calling a tool it has not called in 30 days.",
    definition: {
      query: "type:tool.call",
      aggregation: { kind: "new_value", of: "tool", lookbackDays: 30 },
      groupBy: ["agent"],
      dedupMinutes: 24 * 60,
    },
  },
  {
    name: "Descendant of a capability touched a field",
    severity: "high",
    why: "Anything derived from a given capability reading or writing a sensitive field (edit the capability id and field).",
    definition: {
      query: "under:00000000… field:ssn",
      aggregation: { kind: "each" },
      groupBy: ["request"],
      dedupMinutes: 60,
    },
  },
];
