/**
 * The names of the wire's CUSTOM events the client acts on. Written out here because the client
 * imports @agentwirejs/protocols as types only (a runtime import would put its schema library in
 * the browser bundle); the `satisfies` ties each name to protocols' AgentwireCustomEvent, its one
 * definition, so a change there fails to compile here instead of drifting.
 */
export const WireEventName = {
  ReplayGap: 'agentwire.replay_gap',
  Interrupt: 'agentwire.interrupt',
  InterruptResolved: 'agentwire.interrupt_resolved',
} as const satisfies typeof import('@agentwirejs/protocols').AgentwireCustomEvent;
