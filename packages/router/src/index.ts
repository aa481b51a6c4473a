/** @agentwirejs/router: the one router of client messages, validated against the wire schemas. */
export { MessageRouter } from './message-router';
export type { MessageRouterOptions, RequestAck, RouteHandler, RouteMiddleware, RouteOutcome } from './message-router';
export type { RouteContext, RouterLogger } from './route-context';
export { MessageRejectedError, RouterErrorCode, RouterSetupError } from './errors';
export type { RouteRejection, RouterSetupErrorCode } from './errors';
export { createRateLimit } from './rate-limit';
export type { RateLimit, RateLimitOptions } from './rate-limit';
export { answerPing } from './answer-ping';
export { CanonicalMessageRouter, QualityMessageRouter } from './deprecated-aliases';
export type { AppRouteHandler, RoutableType } from './message-router';
