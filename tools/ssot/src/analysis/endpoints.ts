/** A piece of text that names a network endpoint. */
export interface EndpointMatch {
  kind: 'url' | 'hostPort' | 'loopback';
  value: string;
}

/** Stands for a `${…}` substitution (a noncharacter, never in real text), so `http://${host}` has no literal host. */
export const SUBSTITUTION = '\uFFFF';

const SCHEMES = 'wss?|https?|rediss?|postgres(?:ql)?|nats|amqps?';
const URL_WITH_HOST = new RegExp(`\\b(?:${SCHEMES}):\\/\\/[^\\s'"\`<>\\uFFFF/]+[^\\s'"\`<>\\uFFFF]*`, 'gi');
const HOST_PORT =
  /(?<![\w.\-\uFFFF])(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}):(\d{1,5})(?![\w\uFFFF])/g;
const LOOPBACK = /(?<![\w.\-\uFFFF])(?:localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0)(?![\w\-\uFFFF]|\.\d)|(?<![\w:])\[?::1\]?(?![\w:])/i;
/**
 * Text every endpoint contains: a URL has '://', a host:port pair and '::1' have ':', the other
 * loopback and wildcard addresses contain one of these words. Text with none of them cannot
 * match, which spares the three scans above for nearly every string of a program.
 */
const COULD_BE_ENDPOINT = /:|localhost|127\.|0\.0\.0\.0/i;

/**
 * The first endpoint in a string: a URL with a scheme and a literal host (unless `allowed`
 * accepts it), else a host:port pair, else a loopback or wildcard address. Ports must be 1 to
 * 65535. Hosts under `.invalid` (RFC 6761: guaranteed never to resolve, e.g. the dummy base of
 * `new URL(path, 'http://base.invalid')`) are not endpoints.
 */
export function findEndpoint(text: string, allowed: (url: string) => boolean): EndpointMatch | undefined {
  if (!COULD_BE_ENDPOINT.test(text)) return undefined;
  // the URLs let through (allowed, references, placeholders) are no host:port pair or loopback address either
  let rest = text;
  for (const match of text.matchAll(URL_WITH_HOST)) {
    const host = hostOfUrl(match[0]);
    // `https://$1/$2` is a replacement pattern, `http://{host}/` a template, `redis://HOST:PORT` placeholders, `postgres://…` an elision: no literal host
    if (!allowed(match[0]) && !neverResolves(host) && !/[$%{<]/.test(host) && /[a-z0-9]/i.test(host) && !isPlaceholderHost(match[0], host)) return { kind: 'url', value: match[0] };
    rest = rest.slice(0, match.index) + ' '.repeat(match[0].length) + rest.slice(match.index + match[0].length);
  }
  for (const match of rest.matchAll(HOST_PORT)) {
    const port = Number(match[1]);
    const host = match[0].slice(0, match[0].lastIndexOf(':'));
    if (port >= 1 && port <= 65535 && !neverResolves(host) && !isFileName(host)) return { kind: 'hostPort', value: match[0] };
  }
  const loopback = LOOPBACK.exec(rest);
  return loopback === null ? undefined : { kind: 'loopback', value: loopback[0] };
}

/**
 * Extensions of source and data files: `session.ts:120` and `index.js:4:2` are a file and a
 * line in a stack trace or message, not a host and a port (no such top-level domain exists
 * for most of them, and the rest are never written as a bare host with a port in code).
 */
const FILE_EXTENSIONS = new Set(
  'ts tsx mts cts js jsx mjs cjs json md html htm css scss less py go rs rb java kt c cc cpp h hpp cs sh yml yaml toml txt log map vue svelte'.split(' '),
);

function isFileName(host: string): boolean {
  const dot = host.lastIndexOf('.');
  return dot > 0 && FILE_EXTENSIONS.has(host.slice(dot + 1).toLowerCase());
}

/** Suffixes of names that resolve only inside a private network: a URL on such a host is a service, never a public document. */
const PRIVATE_HOST = /(^|\.)(local|internal|lan|localdomain|svc|corp|home|intranet)$/i;

/**
 * A URL that names a public document rather than a service this code connects to: http(s),
 * a public dotted host name, no port (or the scheme's own: `https://docs.x.dev:443/a` is
 * `https://docs.x.dev/a`). Whether it is a reference is then up to where it is written (see the
 * no-hardcoded-config rule); a URL with another port, an address or a private host is always
 * an endpoint.
 */
export function isPublicWebUrl(url: string): boolean {
  if (!/^https?:\/\//i.test(url)) return false;
  const authority = authorityOf(url);
  if (authority.includes(':') || authority.includes('@')) return false;
  return /^([a-z0-9-]+\.)+[a-z]{2,}$/i.test(authority) && !PRIVATE_HOST.test(authority) && !/^localhost$/i.test(authority);
}

/**
 * A host that is a placeholder in a pattern for people: a word in capitals (`HOST`, `DB_HOST`,
 * `SERVER`; not `LOCALHOST`), or a single name before a port that is not a number
 * (`host:port`, `server:PORT`: no real URL has a port that is not digits).
 */
function isPlaceholderHost(url: string, host: string): boolean {
  if (host.includes('.') || host.startsWith('[') || /^localhost$/i.test(host)) return false;
  if (/^[A-Z][A-Z0-9_-]*$/.test(host)) return true;
  const authority = authorityOf(url);
  return /^:[^\d]/.test(authority.slice(authority.lastIndexOf('@') + 1 + host.length));
}

/** The authority of a URL (user, host, port) without the scheme's default port: `https://docs.x.dev:443/a` is `docs.x.dev`. */
function authorityOf(url: string): string {
  const authority = url.slice(url.indexOf('://') + 3).split(/[/?#]/)[0] ?? '';
  return /^https:/i.test(url) ? authority.replace(/:443$/, '') : /^http:/i.test(url) ? authority.replace(/:80$/, '') : authority;
}

function hostOfUrl(url: string): string {
  const authority = url.slice(url.indexOf('://') + 3).split(/[/?#]/)[0] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return host.startsWith('[') ? host : (host.split(':')[0] ?? '');
}

/**
 * A literal host a connection is made to, written alone (`net.connect(5432, 'db.internal')`): an
 * IPv4 address other than a loopback or wildcard one (those are reported as themselves) or a
 * name under a private suffix (`redis.internal`, `db.svc.cluster.local`). Not any dotted word:
 * `'user.created'` is an event name.
 */
export function isHostLiteral(text: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return !LOOPBACK.test(text);
  return /^([a-z0-9-]+\.)+[a-z0-9-]+$/i.test(text) && PRIVATE_HOST.test(text);
}

/** A host under `.invalid` (RFC 6761: guaranteed never to resolve): not an endpoint, in a string or beside a port. */
export function neverResolves(host: string): boolean {
  return /(^|\.)invalid\.?$/i.test(host);
}

/** The conversions of util.format (printf's, as Node writes them) and `%%`, a percent sign. */
const FORMAT_PLACEHOLDER = /%[sdifjoOc%]/g;

/**
 * The text a printf-style template formats (`util.format('http://%s:%d', host, 7000)`), each
 * placeholder replaced by the next of `values`, as util.format does: `%%` is a percent sign and
 * takes no value, `%c` (CSS) takes one and prints nothing, a placeholder left without a value stays as
 * written, values left without a placeholder follow, each after a space. A substituted value
 * (SUBSTITUTION) in a number conversion (`%d`, `%i`, `%f`) prints as a number, not as a host.
 */
export function formattedText(template: string, values: readonly string[]): string {
  let next = 0;
  const text = template.replace(FORMAT_PLACEHOLDER, (placeholder) => {
    if (placeholder === '%%') return '%';
    if (next >= values.length) return placeholder;
    const value = values[next++] ?? placeholder;
    if (placeholder === '%c') return '';
    // a number conversion prints a number whatever it is given: never a host
    return value === SUBSTITUTION && (placeholder === '%d' || placeholder === '%i' || placeholder === '%f') ? '0' : value;
  });
  return next < values.length ? [text, ...values.slice(next)].join(' ') : text;
}
