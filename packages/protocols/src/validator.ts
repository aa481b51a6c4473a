import { AgentwireError, WebSocketManagerMode } from '@agentwirejs/types';
import { ProtocolsErrorCode } from './errors';
import type { WebSocketManagerProtocol } from './manager-protocol';

type Protocol = WebSocketManagerProtocol;

/**
 * How each member of the contract must look at run time. The type ties every entry to the
 * interface: a member added, removed or renamed there, or a parameter added to a method, makes
 * this table fail to compile, so the validator cannot drift from the interface.
 */
type MemberSpec<K extends keyof Protocol> = Protocol[K] extends (...args: infer A) => unknown
  ? { readonly kind: 'method'; readonly params: Required<A>['length']; readonly required: A['length'] }
  : { readonly kind: 'property' };

export const MANAGER_PROTOCOL_MEMBERS: { readonly [K in keyof Protocol]-?: MemberSpec<K> } = {
  mode: { kind: 'property' },
  addConnection: { kind: 'method', params: 2, required: 2 },
  removeConnection: { kind: 'method', params: 2, required: 1 },
  getConnection: { kind: 'method', params: 1, required: 1 },
  getUserConnections: { kind: 'method', params: 1, required: 1 },
  isUserConnected: { kind: 'method', params: 1, required: 1 },
  waitForConnection: { kind: 'method', params: 2, required: 2 },
  sendToUser: { kind: 'method', params: 2, required: 2 },
  sendToConnection: { kind: 'method', params: 2, required: 2 },
  emitAgentEvent: { kind: 'method', params: 2, required: 2 },
  emitAgentEvents: { kind: 'method', params: 2, required: 2 },
  forUser: { kind: 'method', params: 2, required: 1 },
  broadcast: { kind: 'method', params: 1, required: 1 },
  joinRoom: { kind: 'method', params: 3, required: 2 },
  leaveRoom: { kind: 'method', params: 2, required: 2 },
  broadcastToRoom: { kind: 'method', params: 2, required: 2 },
  resume: { kind: 'method', params: 2, required: 2 },
  getConnectionCount: { kind: 'method', params: 0, required: 0 },
  getConnectionInfo: { kind: 'method', params: 1, required: 1 },
  getStats: { kind: 'method', params: 0, required: 0 },
  shutdown: { kind: 'method', params: 0, required: 0 },
};

export type ProtocolProblemCode = 'not_an_object' | 'missing' | 'not_callable' | 'arity' | 'invalid_value';

export interface ProtocolProblem {
  readonly member: string;
  readonly code: ProtocolProblemCode;
  readonly message: string;
}

/** An object does not implement WebSocketManagerProtocol; `problems` lists every defect. */
export class ProtocolViolationError extends AgentwireError {
  constructor(
    readonly subject: string,
    readonly problems: readonly ProtocolProblem[],
  ) {
    super(
      ProtocolsErrorCode.ProtocolViolation,
      `${subject} does not implement WebSocketManagerProtocol (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${problem.message}`).join('\n'),
    );
  }
}

const normalize = (name: string): string => name.replace(/[_-]/g, '').toLowerCase();

function memberNames(candidate: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = candidate; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) names.add(name);
  }
  return [...names];
}

/**
 * Checks at run time that an object implements WebSocketManagerProtocol: every member present,
 * methods callable and declaring the right number of parameters (between the required count
 * and the full count, as `Function.length` reports them), `mode` a WebSocketManagerMode.
 * Reports every problem, not only the first. Whether a method is async cannot be seen without
 * calling it; the conformance suite checks behaviour.
 */
export class WebSocketManagerProtocolValidator {
  static readonly members = MANAGER_PROTOCOL_MEMBERS;

  static validate(candidate: unknown): ProtocolProblem[] {
    if (candidate === null || (typeof candidate !== 'object' && typeof candidate !== 'function')) {
      return [{ member: '(object)', code: 'not_an_object', message: `expected an object, got ${candidate === null ? 'null' : typeof candidate}` }];
    }
    const subject = candidate as Record<string, unknown>;
    const present = memberNames(subject);
    const problems: ProtocolProblem[] = [];
    for (const [member, spec] of Object.entries(MANAGER_PROTOCOL_MEMBERS)) {
      const value = subject[member];
      if (!(member in subject) || value === undefined) {
        const lookAlike = present.find((name) => name !== member && normalize(name) === normalize(member));
        problems.push({
          member,
          code: 'missing',
          message: `${member} is missing${lookAlike === undefined ? '' : ` (found ${lookAlike}: renamed?)`}`,
        });
        continue;
      }
      if (spec.kind === 'property') {
        if (member === 'mode' && !Object.values<unknown>(WebSocketManagerMode).includes(value)) {
          problems.push({ member, code: 'invalid_value', message: `mode is ${JSON.stringify(value)}, expected one of ${Object.values(WebSocketManagerMode).join(', ')}` });
        }
        continue;
      }
      if (typeof value !== 'function') {
        problems.push({ member, code: 'not_callable', message: `${member} is not callable (it is ${value === null ? 'null' : typeof value})` });
        continue;
      }
      const declared = value.length;
      if (declared < spec.required || declared > spec.params) {
        const expected = spec.required === spec.params ? `${spec.params}` : `${spec.required} to ${spec.params}`;
        problems.push({ member, code: 'arity', message: `${member} declares ${declared} parameter${declared === 1 ? '' : 's'}, expected ${expected}` });
      }
    }
    return problems;
  }

  static isValid(candidate: unknown): candidate is WebSocketManagerProtocol {
    return WebSocketManagerProtocolValidator.validate(candidate).length === 0;
  }

  /** Throws ProtocolViolationError listing every problem unless `candidate` implements the contract. */
  static assert(candidate: unknown, subject = 'object'): asserts candidate is WebSocketManagerProtocol {
    const problems = WebSocketManagerProtocolValidator.validate(candidate);
    if (problems.length > 0) throw new ProtocolViolationError(subject, problems);
  }
}
