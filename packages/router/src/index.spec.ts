import * as entry from './index';
import { CanonicalMessageRouter, MessageRouter, QualityMessageRouter } from './index';
import { recordingLogger } from './fake-connection.test-helpers';

describe('@agentwirejs/router public entry', () => {
  it('exports exactly its documented runtime surface', () => {
    expect(Object.keys(entry).sort()).toEqual(
      ['CanonicalMessageRouter', 'MessageRejectedError', 'MessageRouter', 'QualityMessageRouter', 'RouterErrorCode', 'RouterSetupError', 'answerPing', 'createRateLimit'].sort(),
    );
  });

  it('keeps the legacy names only as aliases of the very same MessageRouter class object', () => {
    expect(QualityMessageRouter).toBe(MessageRouter);
    expect(CanonicalMessageRouter).toBe(MessageRouter);
    const legacy: MessageRouter = new QualityMessageRouter({ logger: recordingLogger() });
    expect(legacy).toBeInstanceOf(MessageRouter);
    expect(new MessageRouter({ logger: recordingLogger() })).toBeInstanceOf(CanonicalMessageRouter);
  });

  it('holds no module state: two routers built the same way share nothing', () => {
    const a = new MessageRouter({ logger: recordingLogger() }).on('ping', entry.answerPing);
    const b = new MessageRouter({ logger: recordingLogger() });
    expect(a.handledTypes).toEqual(['ping']);
    expect(b.handledTypes).toEqual([]);
  });
});
