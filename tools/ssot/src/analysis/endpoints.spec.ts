import { findEndpoint, neverResolves } from './endpoints';

const none = (): boolean => false;

describe('findEndpoint', () => {
  it.each([
    ['ws://example.com/socket', { kind: 'url', value: 'ws://example.com/socket' }],
    ['HTTPS://Example.com', { kind: 'url', value: 'HTTPS://Example.com' }],
    ['connect to db.internal.example:5432 now', { kind: 'hostPort', value: 'db.internal.example:5432' }],
    ['[::1]:8080', { kind: 'hostPort', value: '[::1]:8080' }],
    ['LOCALHOST', { kind: 'loopback', value: 'LOCALHOST' }],
    ['LocalHost is fine', { kind: 'loopback', value: 'LocalHost' }],
    ['127.0.0.1', { kind: 'loopback', value: '127.0.0.1' }],
    ['bind 0.0.0.0', { kind: 'loopback', value: '0.0.0.0' }],
    ['::1', { kind: 'loopback', value: '::1' }],
  ])('finds the endpoint in %j', (text, expected) => {
    expect(findEndpoint(text, none)).toEqual(expected);
  });

  it.each(['', 'plain words', 'module-0001', 'a.b.c', '127 apples', '10.0.0', 'unknown state \uFFFF', 'localhos', 'http://base.invalid/x', 'time 10:99999'])(
    'finds nothing in %j',
    (text) => {
      expect(findEndpoint(text, none)).toBeUndefined();
    },
  );

  it.each([
    ['db.example.invalid', true],
    ['invalid', true],
    ['API.Invalid.', true],
    ['invalid.example.com', false],
    ['db.invalid-host.com', false],
    ['db.example', false],
    ['example.com', false],
  ])('neverResolves(%j) is %j: only names under .invalid (RFC 6761) never resolve', (host, expected) => {
    expect(neverResolves(host)).toBe(expected);
  });

  it('leaves allowed URLs alone', () => {
    expect(findEndpoint('https://json.schemastore.org/x', (url) => url.startsWith('https://json.schemastore.org/'))).toBeUndefined();
  });
});
