#!/usr/bin/env node
import { type AppConfig, ConfigError, loadProcessConfig } from '@agentwirejs/config';
import { Gateway } from './gateway';

/** Beyond the grace period, how long the drain may take before the process exits anyway (a last resort: the drain bounds itself). */
const SHUTDOWN_MARGIN_MS = 5000;
/** How long after the drain the process may take to end by itself before it is ended. */
const EXIT_AFTER_DRAIN_MS = 1000;

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadProcessConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agentwire: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const gateway = await Gateway.start(config);
  if (config.jwtSecretFile !== null) gateway.logger.info({ event: 'development_secret', file: config.jwtSecretFile }, 'AGENTWIRE_JWT_SECRET is unset: using the development secret kept in this file');
  if (config.env === 'development') process.stdout.write(`\nagentwire gateway ready: open ${gateway.url} in a browser\n\n`);
  // Ends the process by letting its event loop run dry, so log lines still being written come out
  // whole and in order (process.exit would write the queued ones before the one in flight); if
  // something still holds the loop, it exits anyway a moment later.
  const exit = (code: number): void => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_AFTER_DRAIN_MS).unref();
  };
  let draining = false;
  const stop = (signal: NodeJS.Signals): void => {
    // One drain per process: a second signal is the common case, not an order to hurry (a
    // terminal's Ctrl-C reaches every process of the group and npm forwards it once more).
    if (draining) {
      gateway.logger.info({ event: 'signal_ignored', signal }, 'already draining; the signal is ignored');
      return;
    }
    draining = true;
    setTimeout(() => {
      gateway.logger.error({ signal }, 'shutdown took too long; exiting');
      exit(1);
    }, config.shutdownGraceMs + SHUTDOWN_MARGIN_MS).unref();
    void gateway.stop().then(
      () => exit(0),
      (error: unknown) => {
        gateway.logger.error({ err: error }, 'shutdown failed');
        exit(1);
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
