import { ConfigError } from '@agentwire/config';
import { AgentCatalog, builtInAgents, withRemoteAgents } from './catalog';
import { remoteAgentEndpoints } from './remote-agent';
import { RecordingRemoteLogger } from './remote-agent.test-helpers';

const builtIns = builtInAgents({ maxEvents: 10, maxPayloadBytes: 100 });

describe('remote agents in the catalog', () => {
  it('join the built-in agents under their configured names, with their run timeout', () => {
    const endpoints = remoteAgentEndpoints({ research: 'http://127.0.0.1:1/a', writer: { url: 'http://127.0.0.1:1/b', timeout_ms: 60_000 } });
    const catalog = new AgentCatalog(withRemoteAgents(builtIns, endpoints, new RecordingRemoteLogger()));
    expect({ names: catalog.names, timeout: catalog.get('writer')?.timeoutMs }).toEqual({ names: ['demo', 'burst', 'research', 'writer'], timeout: 60_000 });
  });

  it('a remote named like a built-in agent is a configuration error at start', () => {
    expect(() => withRemoteAgents(builtIns, remoteAgentEndpoints({ demo: 'http://127.0.0.1:1/a' }), new RecordingRemoteLogger())).toThrow(ConfigError);
  });
});
