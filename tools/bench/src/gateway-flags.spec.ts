import { gatewayNodeFlags, nodeFlagsOf } from './gateway-flags';

describe('the Node flags the benchmark starts the gateway with', () => {
  it('are the words starting with -- between node and the script it runs', () => {
    expect(nodeFlagsOf('exec node --max-semi-space-size=64 --trace-warnings tools/scripts/start.mjs')).toEqual(['--max-semi-space-size=64', '--trace-warnings']);
    expect(nodeFlagsOf('node tools/scripts/start.mjs --inspect')).toEqual([]);
  });

  it('refuse a script that does not run node, or whose flags cannot all be read, rather than leaving some out', () => {
    expect(() => nodeFlagsOf('tsx tools/scripts/start.mjs')).toThrow('does not run node');
    expect(() => nodeFlagsOf('exec node -r ./preload.cjs --max-semi-space-size=64 tools/scripts/start.mjs')).toThrow('short flag (-r)');
    expect(() => nodeFlagsOf('exec node --require ./preload --max-semi-space-size=64 tools/scripts/start.mjs')).toThrow('runs ./preload');
    expect(() => nodeFlagsOf('exec node --max-semi-space-size=64')).toThrow('runs no script');
  });

  it("are those of the workspace's own start script: npm start sets the gateway's young generation and when its old generation's marking starts (see the README's Performance)", () => {
    expect(gatewayNodeFlags()).toEqual(['--max-semi-space-size=64', '--incremental-marking-soft-trigger=80', '--incremental-marking-hard-trigger=95']);
  });
});
