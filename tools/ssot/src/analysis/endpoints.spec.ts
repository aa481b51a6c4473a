import { findEndpoint, formattedText, isHostLiteral, isPublicWebUrl, neverResolves } from './endpoints';

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

  it('does not report an allowed URL with a port or a loopback host as a host:port pair or an address', () => {
    expect(findEndpoint('http://localhost:4200/app', (url) => url.startsWith('http://localhost:4200/'))).toBeUndefined();
    expect(findEndpoint('see https://docs.rt.dev:443/guide', (url) => url.includes('docs.rt.dev'))).toBeUndefined();
    // an endpoint after an allowed URL still is one
    expect(findEndpoint('https://docs.rt.dev/x then db.internal:5432', (url) => url.includes('docs.rt.dev'))).toEqual({ kind: 'hostPort', value: 'db.internal:5432' });
  });

  it.each(['redis://HOST:PORT/0', 'http://SERVER/health', 'postgres://USER:PASSWORD@DB_HOST:5432/DATABASE', 'http://host:port/x', 'https://server:PORT/v1', 'amqp://HOSTNAME'])(
    'finds no endpoint in the placeholder pattern %j',
    (text) => {
      expect(findEndpoint(text, none)).toBeUndefined();
    },
  );

  it.each([
    ['http://LOCALHOST:8080/api', 'http://LOCALHOST:8080/api'],
    ['http://cache:6379', 'http://cache:6379'],
    ['HTTPS://API.RT.DEV:8443/v1', 'HTTPS://API.RT.DEV:8443/v1'],
    ['redis://Cache:6379', 'redis://Cache:6379'],
  ])('still finds the URL in %j (the loopback word, a real name, a dotted host in capitals)', (text, value) => {
    expect(findEndpoint(text, none)).toEqual({ kind: 'url', value });
  });
});

describe('isPublicWebUrl', () => {
  it.each([
    ['https://docs.rt.dev/guide', true],
    ['https://docs.rt.dev:443/guide', true],
    ['http://help.rt.dev:80/faq', true],
    ['https://docs.rt.dev:8443/guide', false],
    ['http://help.rt.dev:443/faq', false],
    ['https://user@docs.rt.dev/guide', false],
    ['https://db.internal:443/x', false],
  ])('isPublicWebUrl(%j) is %j: the scheme\'s own port is no port', (url, expected) => {
    expect(isPublicWebUrl(url)).toBe(expected);
  });
});

describe('isHostLiteral', () => {
  it.each([
    ['db.internal', true],
    ['redis.svc.cluster.local', true],
    ['10.0.0.12', true],
    ['127.0.0.1', false],
    ['0.0.0.0', false],
    ['user.created', false],
    ['db.internal.json', false],
    ['localhost', false],
    ['internal', false],
  ])('isHostLiteral(%j) is %j', (text, expected) => {
    expect(isHostLiteral(text)).toBe(expected);
  });
});

describe('formattedText', () => {
  const host = '\uFFFF';
  it.each([
    ['http://%s:%d', [host, '7000'], `http://${host}:7000`],
    ['%s:%i/%j', [host, '6379', '0'], `${host}:6379/0`],
    ['100%% of %s:%d', [host, '8080'], `100% of ${host}:8080`],
    ['%s:%d%%', [host, '50'], `${host}:50%`],
    ['%c%s:%d', ['color: red', host, '9000'], `${host}:9000`],
    ['%s:%d', [host], `${host}:%d`],
    ['%d items', ['3', 'extra'], '3 items extra'],
    ['%s:', [host, '7000'], `${host}: 7000`],
    ['%x %s', ['a'], '%x a'],
    // a number conversion of a substituted value prints a number, never a host
    ['%d:%d', [host, '30'], '0:30'],
    ['%s:%i items', [host, '10'], `${host}:10 items`],
  ])('formats %j with %j as util.format does: %j', (template, values, expected) => {
    expect(formattedText(template, values)).toBe(expected);
  });
});
