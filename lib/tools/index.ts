// The tool wrapper lives in the SDK package (packages/sdk/src/tools).
export * from "@capability-console/sdk/tools";
