import type { RouteHandler } from './message-router';

/**
 * The `ping` handler: answers `pong` on the sending connection (`router.on('ping', answerPing)`).
 * The type is dispatched as sent, never rewritten, so a ping always reaches it (legacy defect §8.6).
 */
export const answerPing: RouteHandler<'ping'> = (_message, context) => context.reply({ type: 'pong', payload: {} });
