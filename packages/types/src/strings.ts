/**
 * The same text, as one flat string in memory. V8 keeps a string built by concatenation (`a + b`,
 * a template, `answer += token` per streamed token, ulid's id a character at a time) as a tree of
 * cons strings: every piece and every join stay on the heap for as long as the result is held,
 * and each young-generation collection copies them all. Reading one character flattens the
 * string in place; the next collection then drops the tree. Worth it for a string held long
 * (an id, a finished run's answer); the text and identity are unchanged. A slice of a longer
 * string already counts as flat, so it is not copied and still keeps the longer one alive.
 */
export function flatString<T extends string>(text: T): T {
  text.charCodeAt(0);
  return text;
}
