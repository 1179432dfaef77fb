/**
 * The messages for one form field, tied to its input by id (`${name}-error`, or `id` when a page
 * has the same field in several forms).
 */
export function FieldError({
  name,
  errors,
  id,
}: {
  name: string;
  errors?: Record<string, string[]>;
  id?: string;
}) {
  const messages = errors?.[name];
  if (!messages?.length) return null;
  return (
    <span className="field-error" id={id ?? `${name}-error`}>
      {messages.join(" ")}
    </span>
  );
}
