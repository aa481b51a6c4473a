import { MessageRouter } from './message-router';
import type { RouteContext } from './route-context';

/**
 * @deprecated Legacy name of the quality-routing router. Use `MessageRouter`: this is the very
 * same class object (`QualityMessageRouter === MessageRouter`), kept for migrating code.
 */
export const QualityMessageRouter = MessageRouter;
/** @deprecated Use `MessageRouter`. */
export type QualityMessageRouter<C extends RouteContext = RouteContext> = MessageRouter<C>;

/**
 * @deprecated Legacy name of the strategy router. Use `MessageRouter`: this is the very same
 * class object (`CanonicalMessageRouter === MessageRouter`), kept for migrating code.
 */
export const CanonicalMessageRouter = MessageRouter;
/** @deprecated Use `MessageRouter`. */
export type CanonicalMessageRouter<C extends RouteContext = RouteContext> = MessageRouter<C>;
