"use server";

import { z } from "zod";
import { defineAction, defineFormAction, type FormState } from "@/lib/actions/pipeline";
import {
  createStream,
  createStreamSchema,
  deleteStream,
  replayStream,
  replayStreamSchema,
  requeueDeadLetters,
  setStreamStatus,
  streamRefSchema,
  updateStreamFilter,
  updateStreamSchema,
} from "@/lib/data/streams";
import { UserError } from "@/lib/errors";

export interface CreateStreamFormValues {
  tenant: string;
  name: string;
  kind: string;
  format: string;
  url: string;
  filter: string;
  signing: string;
  allowPrivate: boolean;
}
/** On success, for a webhook, its verification key once (an HMAC secret is never shown again). */
export type CreateStreamState = FormState<
  { name: string; verifyKey: string | null; signing: string },
  CreateStreamFormValues
>;

function masterSecret(): string {
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret)
    throw new UserError("Streams need NEXTAUTH_SECRET on the server (their secrets are sealed under it).");
  return secret;
}

export const createStreamAction = defineFormAction({
  permission: "streams.manage",
  schema: createStreamSchema,
  what: "add the stream",
  // The token is read from the form but never echoed back into it.
  values: (form): CreateStreamFormValues => ({
    tenant: String(form.get("tenant") ?? ""),
    name: String(form.get("name") ?? ""),
    kind: String(form.get("kind") ?? "webhook"),
    format: String(form.get("format") ?? "ocsf"),
    url: String(form.get("url") ?? ""),
    filter: String(form.get("filter") ?? ""),
    signing: String(form.get("signing") ?? "v1a"),
    allowPrivate: form.get("allowPrivate") === "on",
  }),
  read: (values, form) => ({ ...values, token: String(form.get("token") ?? "") }),
  run: async ({ db, authority, input }) => {
    const created = await createStream(db, authority, input, { masterSecret: masterSecret() });
    return {
      name: input.name,
      verifyKey: created.verifyKey,
      signing: input.kind === "webhook" ? input.signing : "",
    };
  },
  revalidate: ["/streams"],
});

const statusSchema = streamRefSchema.extend({ to: z.enum(["active", "paused"]) });

export const setStreamStatusAction = defineAction({
  permission: "streams.manage",
  schema: statusSchema,
  what: (i) => (i.to === "paused" ? "pause the stream" : "resume the stream"),
  run: ({ db, authority, input }) => setStreamStatus(db, authority, input, input.to),
  revalidate: ["/streams"],
});

export const updateStreamFilterAction = defineAction({
  permission: "streams.manage",
  schema: updateStreamSchema,
  what: "change the filter",
  run: ({ db, authority, input }) => updateStreamFilter(db, authority, input),
  revalidate: ["/streams"],
});

export const replayStreamAction = defineAction({
  permission: "streams.manage",
  schema: replayStreamSchema,
  what: "replay the stream",
  run: ({ db, authority, input }) => replayStream(db, authority, input),
  revalidate: ["/streams"],
});

export const requeueDeadLettersAction = defineAction({
  permission: "streams.manage",
  schema: streamRefSchema,
  what: "requeue the dead letters",
  run: ({ db, authority, input }) => requeueDeadLetters(db, authority, input),
  revalidate: ["/streams"],
});

export const deleteStreamAction = defineAction({
  permission: "streams.manage",
  schema: streamRefSchema,
  what: "delete the stream",
  run: ({ db, authority, input }) => deleteStream(db, authority, input),
  revalidate: ["/streams"],
});
