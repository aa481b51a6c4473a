import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WIRE_PROTOCOLS, chooseWireProtocol } from '@agentwirejs/protocols';
import { AgentwireError, type UserId, UserIdSchema } from '@agentwirejs/types';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';

/** Why a request was not authenticated: a metrics label and log field, never shown with the token. */
export type AuthFailureReason = 'missing_token' | 'malformed_token' | 'bad_signature' | 'expired' | 'invalid_claims' | 'protocol_not_offered';

/** A request carried no acceptable token. Answered with HTTP 401 before any socket opens. */
export class AuthenticationError extends AgentwireError {
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
  ) {
    super('UNAUTHORIZED', message);
  }
}

/** Who a verified token names, and until when it is good. */
export interface Identity {
  readonly userId: UserId;
  /** Epoch ms after which the token is no longer accepted (exp plus the allowed clock skew). */
  readonly validUntil: number;
}

/**
 * How the server learns whose a connection is. `authenticate` gets the upgrade request and
 * returns the verified identity, or throws AuthenticationError to refuse it with 401 (any other
 * error is answered 500 and logged). The user id must follow the one user-id rule of
 * @agentwirejs/types (non-empty, at most 256 UTF-8 bytes, no control characters); a connection whose
 * identity has no expiry sets validUntil to Infinity. `verifyToken` checks a token sent over an
 * open connection (refresh_token); without it such refreshes are refused and connections end at
 * validUntil. jwtAuthentication is the provided implementation (HS256 tokens, `sub` = user id).
 */
export interface Authentication {
  authenticate(request: IncomingMessage): Promise<Identity>;
  verifyToken?(token: string): Promise<Identity>;
}

/** JWT authentication with `tokens`: the token from `Authorization: Bearer` or the `bearer.<token>` subprotocol. */
export function jwtAuthentication(tokens: TokenService): Authentication {
  return {
    authenticate: async (request) => tokens.verify(presentedToken(request.headers).token),
    verifyToken: async (token) => tokens.verify(token),
  };
}

/** Refuses an identity outside the user-id rule, without a time limit, or already expired: an app's callback is checked like our own verifier. */
function checkedIdentity(identity: Identity, expiryRequired: boolean, now: number): Identity {
  const userId = UserIdSchema.safeParse(identity?.userId);
  if (!userId.success) throw new AuthenticationError('invalid_claims', `the authenticated user id is not a user id: ${userId.error.issues[0]?.message ?? 'invalid'}`);
  const validUntil = identity.validUntil;
  const valid = typeof validUntil === 'number' && !Number.isNaN(validUntil) && (Number.isFinite(validUntil) || (!expiryRequired && validUntil === Number.POSITIVE_INFINITY));
  if (!valid) throw new AuthenticationError('invalid_claims', expiryRequired ? 'a token sent over an open connection must have an expiry (validUntil, epoch ms)' : 'validUntil must be epoch ms or Infinity');
  if (validUntil <= now) throw new AuthenticationError('expired', 'the identity has expired (validUntil is past)');
  return { userId: userId.data, validUntil };
}

/** `authentication` with every identity it returns checked (see Authentication) against the clock `now` (epoch ms). */
export function checkedAuthentication(authentication: Authentication, now: () => number = Date.now): Authentication {
  const { verifyToken } = authentication;
  return {
    authenticate: async (request) => checkedIdentity(await authentication.authenticate(request), false, now()),
    ...(verifyToken === undefined ? {} : { verifyToken: async (token: string) => checkedIdentity(await verifyToken.call(authentication, token), true, now()) }),
  };
}

export interface PresentedToken {
  readonly token: string;
  readonly source: 'authorization' | 'subprotocol';
}

const BEARER_PROTOCOL_PREFIX = 'bearer.';

/** The subprotocols a WebSocket upgrade offers, in order. */
export function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const header = headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((protocol) => protocol.trim())
    .filter((protocol) => protocol !== '');
}

/**
 * Finds the token of an upgrade request: `Authorization: Bearer <jwt>`, or the subprotocol pair
 * `agentwire.v2, bearer.<jwt>` (or agentwire.v1) browsers use. A bearer subprotocol without one of ours is refused
 * (the server could not answer with a protocol the browser offered).
 */
export function presentedToken(headers: IncomingHttpHeaders): PresentedToken {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) throw new AuthenticationError('malformed_token', 'Authorization must be "Bearer <token>"');
    return { token: match[1] as string, source: 'authorization' };
  }
  const protocols = offeredProtocols(headers);
  const bearer = protocols.find((protocol) => protocol.startsWith(BEARER_PROTOCOL_PREFIX));
  if (bearer === undefined) throw new AuthenticationError('missing_token', 'No token: send Authorization: Bearer <token> or the subprotocols agentwire.v2, bearer.<token>');
  if (chooseWireProtocol(protocols) === null) throw new AuthenticationError('protocol_not_offered', `A bearer subprotocol must come with ${WIRE_PROTOCOLS.join(' or ')}`);
  return { token: bearer.slice(BEARER_PROTOCOL_PREFIX.length), source: 'subprotocol' };
}

export interface TokenServiceOptions {
  /** HS256 secret. */
  readonly secret: string;
  /** Allowed clock skew for exp, in seconds (default 30). */
  readonly clockToleranceSeconds?: number;
  /** Clock (epoch ms), injectable for tests. */
  readonly now?: () => number;
}

/** Verifies and (in development) issues HS256 access tokens: `sub` is the user id, `exp` is required. */
export class TokenService {
  private readonly key: Uint8Array;
  private readonly toleranceSeconds: number;
  private readonly now: () => number;

  constructor(options: TokenServiceOptions) {
    this.key = new TextEncoder().encode(options.secret);
    this.toleranceSeconds = options.clockToleranceSeconds ?? 30;
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<Identity> {
    if (!isCanonicalCompactJws(token)) throw new AuthenticationError('malformed_token', 'The token is not a well-formed JWT (three base64url segments without padding)');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        clockTolerance: this.toleranceSeconds,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      throw toAuthenticationError(error);
    }
    const userId = UserIdSchema.safeParse(payload.sub);
    if (!userId.success) {
      throw new AuthenticationError('invalid_claims', `The token subject is not a valid user id: ${userId.error.issues[0]?.message ?? 'invalid'}`);
    }
    // jose checks iat only against a maximum age; a token "issued" in the future is a clock or
    // minting bug on the issuer's side, not a credential to honour.
    if (payload.iat !== undefined && payload.iat * 1000 > this.now() + this.toleranceSeconds * 1000) {
      throw new AuthenticationError('invalid_claims', 'The token was issued in the future (iat beyond the allowed clock skew)');
    }
    return { userId: userId.data, validUntil: ((payload.exp as number) + this.toleranceSeconds) * 1000 };
  }

  /** A token for `userId` valid for `ttlSeconds`. */
  async issue(userId: UserId, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = issuedAt + ttlSeconds;
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(userId).setIssuedAt(issuedAt).setExpirationTime(expiresAt).sign(this.key);
    return { token, expiresAt: expiresAt * 1000 };
  }
}

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * True when `token` is three base64url segments in their one canonical spelling: no padding, no
 * characters outside the alphabet, no stray bits in the last character. Decoders are lenient
 * (they skip `!#$%`, accept `=`, ignore trailing bits), so without this one token had many
 * spellings that all verified.
 */
export function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split('.');
  if (segments.length !== 3) return false;
  for (const segment of segments) {
    if (!BASE64URL_SEGMENT.test(segment)) return false;
    if (Buffer.from(segment, 'base64url').toString('base64url') !== segment) return false;
  }
  return true;
}

function toAuthenticationError(error: unknown): AuthenticationError {
  if (error instanceof joseErrors.JWTExpired) return new AuthenticationError('expired', 'The token has expired');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new AuthenticationError('bad_signature', 'The token signature does not verify');
  if (error instanceof joseErrors.JWTClaimValidationFailed) return new AuthenticationError('invalid_claims', `The token is missing or has an invalid ${error.claim} claim`);
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new AuthenticationError('bad_signature', 'The token is not signed with HS256');
  return new AuthenticationError('malformed_token', 'The token is not a well-formed JWT');
}
