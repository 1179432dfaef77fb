// The capability core lives in the SDK package (packages/sdk/src/capability); the console uses it
// like any platform does.
export * from "@capability-console/sdk/capability";
