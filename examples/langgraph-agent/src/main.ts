import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createAgentGraph } from './graph';
import { RunStats } from './run-stats';
import { RUN_PATH, createAgentServer } from './server';
import { SettingsError, readSettings } from './settings';
import { WordCounterChatModel } from './word-counter-model';

/** One line on stdout per thing that happened: a person watching and the tests both read them there. */
function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  // Swap the model here (see README.md): any LangChain chat model that can bind tools fits.
  const graph = createAgentGraph(new WordCounterChatModel({ tokensPerSecond: settings.tokensPerSecond }), { requireApproval: settings.requireApproval });
  const server = createAgentServer({ graph, stats: new RunStats(), keepAliveMs: settings.keepAliveMs, log });
  server.listen(settings.port, settings.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  log(`langgraph agent listening on http://${host}:${port}${RUN_PATH}`);
  const stop = (): void => {
    server.close();
    // open SSE streams would hold close() forever; closing them aborts their runs
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof SettingsError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
