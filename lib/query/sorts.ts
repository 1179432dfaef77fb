// The explorer's sort orders, apart from the cursor's zod schema so that client code (the URL
// parsers) can name them without bundling zod, whose eval probe the Content-Security-Policy reports.
export const EVENT_SORTS = ["ts_desc", "ts_asc"] as const;
export type EventSort = (typeof EVENT_SORTS)[number];
