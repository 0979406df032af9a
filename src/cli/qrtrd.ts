#!/usr/bin/env node
import 'reflect-metadata';
import pino from 'pino';
import { QrtrdError } from '../common/errors';
import type { QrtrdConfig } from '../daemon/config';
import { parseQrtrdCommandLine } from './qrtrd-args';
import { checkPluginSections, configSchemaFor, effectiveConfig, loadPluginSections, type PluginSections } from '../daemon/plugin-sections';
import { CliUsageError } from './cli-common';
import { QrtrdDaemon } from '../daemon/daemon';
import { ANSI_STATE_PAINTER, ConsoleView, NO_PAINT, colourWanted } from '../daemon/console-view';
import { ServiceManagerNotifier, journalDestination, stderrIsJournal } from '../daemon/service-manager';


function describeReady(config: QrtrdConfig): string {
  const parts = [`node ${config.node}`];
  if (config.listen) parts.push(`remote endpoints on ${config.listen}`);
  if (config.socket) parts.push(`local clients on ${config.socket}`);
  if (config.capture) parts.push(`capturing to ${config.capture}`);
  return `qrtrd ready: ${parts.join(', ')}`;
}

/** Errors that say the configuration is wrong (exit 2), as opposed to a start that failed (exit 1). */
function isConfigurationError(err: unknown): boolean {
  return err instanceof QrtrdError && (err.code.startsWith('QRTRD_CONFIG') || err.code === 'QRTRD_INPUT_PATH' || err.code === 'PLUGIN_CONFIG_INVALID' || err.code === 'QRTR_LINK_CONFIG_INVALID');
}

async function main(): Promise<number> {
  let config: QrtrdConfig;
  try {
    const invocation = parseQrtrdCommandLine(process.argv.slice(2));
    if (!('config' in invocation)) {
      process.stdout.write(invocation.text);
      return 0;
    }
    config = invocation.config;
    // Every plugin's section is checked against the schema it contributes before anything starts.
    let sections: PluginSections | null = null;
    try {
      sections = loadPluginSections(config);
    } catch (err) {
      // A plugin that cannot be loaded fails the start below with its own error (exit 1).
      if (invocation.action !== 'run') throw err;
    }
    if (sections) checkPluginSections(config, sections, invocation.source);
    if (invocation.action === 'print-config') {
      process.stdout.write(`${JSON.stringify(effectiveConfig(config, sections!), null, 2)}\n`);
      return 0;
    }
    if (invocation.action === 'print-config-schema') {
      process.stdout.write(`${JSON.stringify(configSchemaFor(sections!), null, 2)}\n`);
      return 0;
    }
  } catch (err) {
    const usage = err instanceof CliUsageError || isConfigurationError(err);
    // One line: the message names the key or option; a usage error adds where to look.
    const code = !usage && err instanceof QrtrdError ? ` [${err.code}]` : '';
    process.stderr.write(`qrtrd: ${(err as Error).message}${err instanceof CliUsageError ? "; run 'qrtrd --help' for the options" : code}\n`);
    return usage ? 2 : 1;
  }
  const drawing = config.console && process.stdout.isTTY && !config.logFile;
  const level = drawing && config.logLevel === 'info' ? 'warn' : config.logLevel;
  const destination = config.logFile ? pino.destination({ dest: config.logFile, sync: false, mkdir: true }) : pino.destination({ fd: 2, sync: false });
  // Under systemd with stderr on the journal: each line carries its syslog priority.
  const logger = pino({ name: 'qrtrd', level }, !config.logFile && stderrIsJournal() ? journalDestination(destination) : destination);
  const serviceManager = ServiceManagerNotifier.fromEnvironment(logger);
  const daemon = new QrtrdDaemon(config, logger);
  // One failing unit never takes the daemon down: what no boundary caught is logged and counted.
  daemon.containUncaughtErrors();
  let view = config.console ? new ConsoleView(daemon, process.stdout, colourWanted(process.env, process.stdout) ? ANSI_STATE_PAINTER : NO_PAINT) : null;

  // A daemon runs until it is told to stop, even when nothing it serves holds the event loop
  // open (`--no-sim` without --listen or --socket): until then this handle keeps it alive.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      // A second signal: the user does not want to wait for the orderly stop.
      process.stderr.write(`qrtrd: ${signal} again, exiting without cleaning up\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    serviceManager.stopping();
    view?.stop();
    view = null;
    clearInterval(keepAlive);
    try {
      await daemon.stop();
    } finally {
      logger.info('stopped');
      logger.flush();
      destination.flushSync?.();
      process.exitCode = 0;
      // Let the log destination drain, then leave even if a handle is still open.
      setTimeout(() => process.exit(process.exitCode ?? 0), 50).unref();
    }
  };
  // Handlers replace an inherited SIG_IGN (a shell's background job ignores SIGINT): qrtrd stops
  // cleanly on either signal however it was started.
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    view?.start();
    await daemon.start();
    const ready = describeReady(config);
    // The ready line itself goes to stdout once; the log records the event under its own name.
    logger.info({ node: config.node, listen: config.listen, socket: config.socket }, 'started');
    serviceManager.ready(ready);
    if (view) view.print(ready);
    else process.stdout.write(`${ready}\n`);
    if (config.simulation.enabled && config.simulation.cards.length > 0) {
      await daemon.whenReady(60_000).catch((err: Error) => logger.error({ err: err.message }, 'not every simulated device came up'));
    }
    view?.finish();
  } catch (err) {
    view?.stop(false);
    // A signal during start: start gave up, shutdown() undoes it and exits 0.
    if (stopping) return -1;
    const e = err as Error;
    const code = err instanceof QrtrdError ? ` [${err.code}]` : '';
    logger.fatal({ err: e.message, code: (err as QrtrdError).code }, 'start failed');
    process.stderr.write(`qrtrd: ${e.message}${code}\n`);
    await daemon.stop().catch(() => undefined);
    clearInterval(keepAlive);
    logger.flush();
    // A section only the plugin's own check could judge (no schema) is still a configuration error.
    return isConfigurationError(err) ? 2 : 1;
  }
  return -1; // keep running until a signal
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`qrtrd: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
