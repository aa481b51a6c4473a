import { DEFAULT_SETTINGS, SettingsError, readSettings } from './settings';

describe('the settings (from the environment)', () => {
  it('defaults to 127.0.0.1:8001, 20 tokens a second and a ping after 3 s of quiet', () => {
    expect(readSettings({})).toEqual({ port: 8001, host: '127.0.0.1', tokensPerSecond: 20, keepAliveMs: 3_000, requireApproval: false });
    expect(readSettings({ PORT: '', HOST: ' ' })).toEqual(DEFAULT_SETTINGS);
  });

  it('reads PORT, HOST, AGENT_TOKENS_PER_SECOND, AGENT_KEEPALIVE_SECONDS and AGENT_REQUIRE_APPROVAL', () => {
    expect(readSettings({ PORT: '0', HOST: '0.0.0.0', AGENT_TOKENS_PER_SECOND: '2.5', AGENT_KEEPALIVE_SECONDS: '0.25', AGENT_REQUIRE_APPROVAL: '1' })).toEqual({
      port: 0,
      host: '0.0.0.0',
      tokensPerSecond: 2.5,
      keepAliveMs: 250,
      requireApproval: true,
    });
  });

  it.each([
    ['PORT', 'http'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['AGENT_TOKENS_PER_SECOND', '0'],
    ['AGENT_TOKENS_PER_SECOND', 'fast'],
    ['AGENT_KEEPALIVE_SECONDS', '-1'],
    ['AGENT_REQUIRE_APPROVAL', 'yes'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => readSettings({ [name]: value })).toThrow(SettingsError);
    expect(() => readSettings({ [name]: value })).toThrow(name);
  });
});
