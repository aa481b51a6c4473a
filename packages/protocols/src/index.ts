export {
  PROTOCOL_VERSION,
  WireProtocol,
  WIRE_PROTOCOLS,
  DEFAULT_WIRE_PROTOCOL,
  chooseWireProtocol,
  ErrorCode,
  ERROR_CODES,
  CloseCode,
  AgentErrorCode,
} from './wire/codes';
export {
  EventType,
  RUN_EVENT_TYPES,
  TERMINAL_RUN_EVENT_TYPES,
  DELTA_EVENT_TYPES,
  AGENTWIRE_METADATA_KEY,
  AgentwireCustomEvent,
  RESERVED_CUSTOM_EVENT_PREFIX,
  STANDALONE_EVENT_TYPES,
  deltaKeyOf,
  replaceKeyOf,
  validateRunEventPayload,
  validateAgentEvent,
} from './wire/run-events';
export type { AgentEvent, RunEventPayload, StandaloneRunEvent } from './wire/run-events';
export {
  AgentEventType,
  AGENT_EVENT_TYPES,
  TERMINAL_AGENT_EVENT_TYPES,
  DROPPABLE_MESSAGE_TYPES,
  AgentInputSchema,
  AgentEventPayloadSchemas,
  isAgentInput,
} from './wire/agent-events';
export type { AgentInput, AgentEventPayloads } from './wire/agent-events';
export {
  UserMessageSchema,
  StartAgentSchema,
  CancelRunSchema,
  PingSchema,
  ResumeSchema,
  RefreshTokenSchema,
  AnswerInterruptSchema,
  RequestIdSchema,
  MAX_TOKEN_CHARS,
  ClientMessageSchema,
  CLIENT_MESSAGE_SCHEMAS,
  CLIENT_MESSAGE_TYPES,
  MAX_MESSAGE_DEPTH,
} from './wire/client-messages';
export type { ClientMessage, ClientMessageType, ClientMessageOf } from './wire/client-messages';
export {
  StreamSeqSchema,
  ServerEnvelopeSchema,
  RoomEnvelopeSchema,
  ConnectionEstablishedSchema,
  PongSchema,
  TokenRefreshedSchema,
  AckSchema,
  ErrorMessageSchema,
  ReplayGapSchema,
  AgentEventEnvelopeSchemas,
  AgentEventEnvelopeSchema,
  ServerMessageSchema,
  SERVER_MESSAGE_SCHEMAS,
  CONNECTION_SCOPED_MESSAGE_TYPES,
  RunEventEnvelopeSchema,
  V2ReplayGapSchema,
  V2ServerMessageSchema,
} from './wire/server-messages';
export type {
  ServerEnvelope,
  RoomEnvelope,
  AgentEventEnvelope,
  ServerMessage,
  ServerMessageType,
  OutboundMessage,
  RunEventEnvelope,
  ReplayGapRange,
  V2ServerMessage,
} from './wire/server-messages';
export { checkRunEventOrder, checkEventStreams, checkUserStream } from './ordering';
export type { OrderedEvent, OrderingReport } from './ordering';
export type { AgentEventSink, AgentEventSinkOptions, SendResult } from './agent-event-sink';
export type {
  WebSocketManagerProtocol,
  ConnectionTransport,
  ConnectionRegistration,
  ResumeResult,
  JoinRoomOptions,
  ManagerStats,
} from './manager-protocol';
export {
  WebSocketManagerProtocolValidator,
  ProtocolViolationError,
  MANAGER_PROTOCOL_MEMBERS,
} from './validator';
export type { ProtocolProblem, ProtocolProblemCode } from './validator';
export { BackplaneClosedError, REPLAY_WINDOW_DEFAULTS, withAppendFailure } from './backplane';
export { ProtocolsErrorCode } from './errors';
export { EncodedStreamEntry, Utf8StreamEntry } from './stream-entry';
export type { StreamEntry, StreamGap } from './stream-entry';
export type {
  AppendFailures,
  Backplane,
  BackplaneStatus,
  StreamPosition,
  StreamRead,
  StreamListener,
  RoomStreamEntry,
  RoomStreamListener,
  Unsubscribe,
} from './backplane';
export { envelopeWriter, roomEnvelopeWriter, messageBody, serializeEnvelope, userEnvelope, JsonCharCode, envelopeType, decodeEnvelope, userEnvelopeParts, roomEnvelopeParts, type EnvelopeParts } from './envelope';
export type { EnvelopeWriter, RoomEnvelopeWriter, DecodedEnvelope } from './envelope';
export { JsonUtf8Writer, decimalDigitCount, writeDecimalDigits } from './json-utf8';
export type {
  AgentRunner,
  AgentRunRequest,
  AgentRunResult,
  AgentRunReporter,
  AgentTool,
  ToolCallReport,
  TextStream,
  ToolCallStream,
  InterruptRequest,
  StreamOptions,
} from './agent-runner';
export { buildProtocolJsonSchema, renderProtocolJsonSchema } from './json-schema';
export {
  defineProtocolExtensions,
  isProtocolExtensions,
  validateCustomEventValue,
  isWireErrorCode,
  ProtocolExtensionError,
  APP_MESSAGE_TYPE_PATTERN,
  MAX_APP_TYPE_CHARS,
} from './wire/app-types';
export type {
  ProtocolExtensions,
  NoProtocolExtensions,
  AppClientMessageSchema,
  AppClientMessageSchemas,
  AppEventSchemas,
  AppMessageType,
  AppMessageOf,
  AppEventName,
  AppEventValue,
  WireErrorCode,
} from './wire/app-types';
