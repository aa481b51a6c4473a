import { ConfigError, loadConfig } from '@agentwire/config';
import { Gateway } from './gateway';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agentwire: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const gateway = await Gateway.start(config);
  if (config.env === 'development') process.stdout.write(`\nagentwire gateway ready: open ${gateway.url} in a browser\n\n`);
  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      gateway.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    // Exit even if something hangs: the grace period plus a margin for closing sockets.
    setTimeout(() => {
      gateway.logger.error({ signal }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 5000).unref();
    void gateway.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`agentwire: the gateway could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
