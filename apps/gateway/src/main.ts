import { ConfigError, loadConfig } from '@agentwire/config';
import { startPlaceholderServer } from './placeholder-server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const server = await startPlaceholderServer(config);
  process.stdout.write(`agentwire gateway (placeholder) listening: open ${server.url}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
