import { ConfigError } from '@agentwirejs/config';
import type { AgentRunner } from '@agentwirejs/protocols';
import { AgentCatalog, type CatalogEntry, withRemoteAgents } from './catalog';
import { remoteAgentEndpoints } from './remote-agent';
import { RecordingRemoteLogger } from './remote-agent.test-helpers';

/** An app's own agents: runners that are never run here. */
const agent = (name: string): CatalogEntry => ({ runner: { name, run: async () => ({ result: name }) } as AgentRunner, tools: new Map() });
const builtIns = [agent('demo'), agent('burst')];

describe('remote agents in the catalog', () => {
  it("join the app's agents under their configured names, with their run timeout", () => {
    const endpoints = remoteAgentEndpoints({ research: 'http://127.0.0.1:1/a', writer: { url: 'http://127.0.0.1:1/b', timeout_ms: 60_000 } });
    const catalog = new AgentCatalog(withRemoteAgents(builtIns, endpoints, new RecordingRemoteLogger()));
    expect({ names: catalog.names, timeout: catalog.get('writer')?.timeoutMs }).toEqual({ names: ['demo', 'burst', 'research', 'writer'], timeout: 60_000 });
  });

  it("a remote named like one of the app's agents is a configuration error at start", () => {
    expect(() => withRemoteAgents(builtIns, remoteAgentEndpoints({ demo: 'http://127.0.0.1:1/a' }), new RecordingRemoteLogger())).toThrow(ConfigError);
  });
});
