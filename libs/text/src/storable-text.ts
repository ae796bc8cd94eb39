/**
 * PostgreSQL `text` cannot hold NUL, and a lone UTF-16 surrogate cannot be encoded as UTF-8: a
 * value with either makes the whole statement fail. Edges that take outside text refuse it
 * (isStorableText); records of what came back (response bodies, error messages) keep it with
 * U+FFFD in place of each offending code unit.
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

export function toStorableText(text: string): string {
  return isStorableText(text) ? text : text.toWellFormed().replaceAll('\u0000', '\ufffd');
}
