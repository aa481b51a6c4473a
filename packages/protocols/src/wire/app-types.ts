import { AgentwireError } from '@agentwirejs/types';
import { z } from 'zod';
import { ProtocolsErrorCode } from '../errors';
import { CLIENT_MESSAGE_SCHEMAS } from './client-messages';
import type { ErrorCode } from './codes';
import { RESERVED_CUSTOM_EVENT_PREFIX } from './run-events';
import { ErrorMessageSchema } from './server-messages';

/**
 * App-defined types: a team adds its own client message types and CUSTOM event names to the
 * protocol without forking it, in one value made by `defineProtocolExtensions`. The router takes
 * that value (`new MessageRouter({ logger, extensions })`) and the JSON Schema generation too
 * (`buildProtocolJsonSchema(extensions)`), so what a client may send and what it may receive is
 * stated once.
 */

/** A client message schema an app registers: a zod object whose `type` is the message type as a literal. */
export type AppClientMessageSchema<T extends string = string> = z.ZodObject<{ readonly type: z.ZodLiteral<T> }, z.core.$ZodObjectConfig>;

/** The app's client messages, by type. */
export type AppClientMessageSchemas = Readonly<Record<string, AppClientMessageSchema>>;

/** The app's CUSTOM events, by name: each schema validates the event's `value`. */
export type AppEventSchemas = Readonly<Record<string, z.ZodType>>;

/** Names of app client message types: lower case, as the built-in ones (`ask`, `todo.add`, `vote-up`). */
export const APP_MESSAGE_TYPE_PATTERN = /^[a-z][a-z0-9_.-]*$/;
/** Longest app client message type and CUSTOM event name. */
export const MAX_APP_TYPE_CHARS = 64;

/**
 * The extensions of one application, validated and frozen. Made only by defineProtocolExtensions
 * (the router refuses anything else), so every consumer sees the same checked definitions.
 */
export interface ProtocolExtensions<M extends AppClientMessageSchemas = AppClientMessageSchemas, E extends AppEventSchemas = AppEventSchemas> {
  /** Client → server message types the app handles, by type (never a built-in type). */
  readonly clientMessages: Readonly<M>;
  /** CUSTOM event names the app's agents emit, by name (never `agentwire.…`), with the schema of `value`. */
  readonly events: Readonly<E>;
}

/** Extensions that add nothing: what a router or schema document without extensions works with. */
export type NoProtocolExtensions = ProtocolExtensions<Record<never, never>, Record<never, never>>;

/** The client message types extensions X add. */
export type AppMessageType<X extends ProtocolExtensions> = keyof X['clientMessages'] & string;

/** A client message of app type T as its handler receives it: parsed by its schema. */
export type AppMessageOf<X extends ProtocolExtensions, T extends AppMessageType<X>> = z.output<X['clientMessages'][T]>;

/** The CUSTOM event names extensions X add. */
export type AppEventName<X extends ProtocolExtensions> = keyof X['events'] & string;

/** The `value` of app CUSTOM event N. */
export type AppEventValue<X extends ProtocolExtensions, N extends AppEventName<X>> = z.output<X['events'][N]>;

/**
 * A code of the `error` message: one of agentwire's (`ErrorCode`) or an application's own,
 * lower-case snake_case of at most 64 characters (`quota_exceeded`).
 */
export type WireErrorCode = ErrorCode | (string & Record<never, never>);

const WireErrorCodeSchema = ErrorMessageSchema.shape.payload.shape.code;

/** True for a code an `error` message may carry: a built-in one, or an app's that matches the pattern. */
export function isWireErrorCode(value: unknown): value is WireErrorCode {
  return WireErrorCodeSchema.safeParse(value).success;
}

/** defineProtocolExtensions was given something it cannot register; `problems` says what, one line each. */
export class ProtocolExtensionError extends AgentwireError {
  constructor(readonly problems: readonly string[]) {
    super(
      ProtocolsErrorCode.InvalidProtocolExtension,
      `invalid protocol extensions (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
}

/**
 * Marks values made by defineProtocolExtensions, so a plain look-alike object (unchecked) is
 * refused. A registry symbol, so two copies of this package in one process still agree.
 */
const DEFINED = Symbol.for('agentwire.protocolExtensions');

const BUILT_IN_TYPES: ReadonlySet<string> = new Set(Object.keys(CLIENT_MESSAGE_SCHEMAS));

/**
 * Registers an application's own client message types and CUSTOM event names, in one place:
 *
 * ```ts
 * export const appProtocol = defineProtocolExtensions({
 *   clientMessages: { ask: z.object({ type: z.literal('ask'), question: z.string().min(1) }) },
 *   events: { 'acme.quota': z.object({ used: z.number(), limit: z.number() }) },
 * });
 * ```
 *
 * A message type is lower case (APP_MESSAGE_TYPE_PATTERN), is not a built-in type, and its schema
 * is a zod object whose `type` is that same literal. An event name is not empty, has no spaces and
 * does not start with `agentwire.` (agentwire's own CUSTOM events). Every problem is reported at
 * once, in a ProtocolExtensionError (code INVALID_PROTOCOL_EXTENSION). The result is frozen.
 */
export function defineProtocolExtensions<
  const M extends { readonly [K in keyof M]: AppClientMessageSchema<K & string> } = Record<never, never>,
  const E extends AppEventSchemas = Record<never, never>,
>(definition: { readonly clientMessages?: M; readonly events?: E }): ProtocolExtensions<M, E> {
  const problems: string[] = [];
  const clientMessages = ownEntries(definition?.clientMessages, 'clientMessages', problems);
  const events = ownEntries(definition?.events, 'events', problems);
  for (const [type, schema] of clientMessages) problems.push(...clientMessageProblems(type, schema));
  for (const [name, schema] of events) problems.push(...eventProblems(name, schema));
  if (problems.length > 0) throw new ProtocolExtensionError(problems);
  const extensions = {
    clientMessages: Object.freeze(Object.fromEntries(clientMessages)) as Readonly<M>,
    events: Object.freeze(Object.fromEntries(events)) as Readonly<E>,
  };
  Object.defineProperty(extensions, DEFINED, { value: true });
  return Object.freeze(extensions);
}

/** True for a value made by defineProtocolExtensions. */
export function isProtocolExtensions(value: unknown): value is ProtocolExtensions {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINED] === true;
}

/**
 * Checks the `value` of a CUSTOM event an agent emits against the app's registration of its name;
 * returns the problem, or null when the name is registered and the value fits its schema.
 * agentwire's own names (`agentwire.…`) are not the app's to emit.
 */
export function validateCustomEventValue(extensions: ProtocolExtensions, name: string, value: unknown): string | null {
  if (typeof name !== 'string') return 'a CUSTOM event name must be a string';
  if (name.startsWith(RESERVED_CUSTOM_EVENT_PREFIX)) return `CUSTOM event names starting with '${RESERVED_CUSTOM_EVENT_PREFIX}' are agentwire's own`;
  const schema = Object.hasOwn(extensions.events, name) ? extensions.events[name] : undefined;
  if (schema === undefined) return `CUSTOM event '${name}' is not registered (defineProtocolExtensions({ events }))`;
  const result = schema.safeParse(value);
  if (result.success) return null;
  const issue = result.error.issues[0];
  const where = issue !== undefined && issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : '';
  return `CUSTOM ${name}.value${where}: ${issue?.message ?? 'invalid'}`;
}

function ownEntries(record: unknown, field: string, problems: string[]): [string, unknown][] {
  if (record === undefined) return [];
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    problems.push(`${field} must be an object of schemas by name`);
    return [];
  }
  return Object.entries(record);
}

function clientMessageProblems(type: string, schema: unknown): string[] {
  if (BUILT_IN_TYPES.has(type)) return [`client message type '${type}' is built in: an app cannot redefine it`];
  if (type.length > MAX_APP_TYPE_CHARS || !APP_MESSAGE_TYPE_PATTERN.test(type)) {
    return [`client message type ${JSON.stringify(type)} must match ${APP_MESSAGE_TYPE_PATTERN} and have at most ${MAX_APP_TYPE_CHARS} characters`];
  }
  const object = zodDefinition(schema);
  if (object?.type !== 'object') return [`client message '${type}' needs a zod object schema (z.object({ type: z.literal('${type}'), … }))`];
  const literal = zodDefinition((object.shape as Record<string, unknown> | undefined)?.['type']);
  const values = literal?.type === 'literal' && Array.isArray(literal.values) ? literal.values : [];
  if (values.length !== 1 || values[0] !== type) return [`the schema of client message '${type}' must have type: z.literal('${type}')`];
  return [];
}

function eventProblems(name: string, schema: unknown): string[] {
  if (name.startsWith(RESERVED_CUSTOM_EVENT_PREFIX)) return [`CUSTOM event name '${name}' is reserved: names starting with '${RESERVED_CUSTOM_EVENT_PREFIX}' are agentwire's own`];
  if (name.length === 0 || name.length > MAX_APP_TYPE_CHARS || /\s/.test(name)) {
    return [`CUSTOM event name ${JSON.stringify(name)} must have 1 to ${MAX_APP_TYPE_CHARS} characters and no spaces`];
  }
  if (zodDefinition(schema) === undefined) return [`CUSTOM event '${name}' needs a zod schema of its value`];
  return [];
}

/**
 * The definition of a zod 4 schema (`_zod.def`: its `type`, an object's `shape`, a literal's
 * `values`), read by shape rather than instanceof so a schema built by another copy of zod 4 is
 * recognised too; undefined for anything else.
 */
function zodDefinition(schema: unknown): (Readonly<Record<string, unknown>> & { readonly type?: unknown }) | undefined {
  if (typeof schema !== 'object' || schema === null || typeof (schema as { safeParse?: unknown }).safeParse !== 'function') return undefined;
  const definition = (schema as { _zod?: { def?: unknown } })._zod?.def;
  return typeof definition === 'object' && definition !== null ? (definition as Readonly<Record<string, unknown>>) : undefined;
}
