import { gatewayNodeFlags, nodeFlagsOf } from './gateway-flags';

describe('the Node flags the benchmark starts the gateway with', () => {
  it('are the words starting with -- between node and the script it runs', () => {
    expect(nodeFlagsOf('exec node --max-semi-space-size=64 --trace-warnings tools/scripts/start.mjs')).toEqual(['--max-semi-space-size=64', '--trace-warnings']);
    expect(nodeFlagsOf('node tools/scripts/start.mjs --inspect')).toEqual([]);
  });

  it('refuse a script that does not run node', () => {
    expect(() => nodeFlagsOf('tsx tools/scripts/start.mjs')).toThrow('does not run node');
  });

  it("are those of the workspace's own start script: npm start sets the gateway's young generation and when its old generation's marking starts (see the README's Performance)", () => {
    expect(gatewayNodeFlags()).toEqual(['--max-semi-space-size=64', '--incremental-marking-soft-trigger=80', '--incremental-marking-hard-trigger=95']);
  });
});
