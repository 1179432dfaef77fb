/** The messages for one form field, tied to its input by id (`${name}-error`). */
export function FieldError({ name, errors }: { name: string; errors?: Record<string, string[]> }) {
  const messages = errors?.[name];
  if (!messages?.length) return null;
  return (
    <span className="field-error" id={`${name}-error`}>
      {messages.join(" ")}
    </span>
  );
}
