/** Small DOM and text helpers of the demo page. Every text from the server goes in as text (textContent, text nodes), never as markup. */

type Props = Readonly<Record<string, string>> & { readonly className?: string };

/** An element with attributes (className as the class) and children (nodes or text). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'className') node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** The element with `id`, which the page's HTML has. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** A duration as people read it: 840 ms, 1.25 s. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const MAX_SHOWN_CHARS = 300;

function clip(text: string): string {
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? '';
}

/**
 * A value as a person reads it: an object as `key: value` pairs, a list as its items, text as
 * it is; nested values as compact JSON; clipped at 300 characters.
 */
export function readable(value: unknown): string {
  if (Array.isArray(value)) return clip(value.map(scalar).join(', '));
  if (typeof value === 'object' && value !== null) {
    return clip(
      Object.entries(value)
        .map(([key, field]) => `${key}: ${scalar(field)}`)
        .join(' · '),
    );
  }
  return clip(scalar(value));
}

/** Tool arguments and results travel as JSON text: shown readable when they parse, as they are when they do not. */
export function readableJson(text: string): string {
  try {
    return readable(JSON.parse(text) as unknown);
  } catch {
    return clip(text);
  }
}
