import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { checkInputPaths } from '../daemon/input-paths';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, parseConfig, type QrtrdConfig } from '../daemon/config';
import { LOG_LEVELS } from '../daemon/config-schema';
import { CliUsageError, oneLine, packageVersion } from './cli-common';

const DESCRIPTION = 'userspace QRTR router, endpoint-aware name service and QMI host';

const DEFAULT_RUN = `
Without options qrtrd runs its embedded default: two QCN9074 and one WCN6855
(ath11k) and one WCN7850 (ath12k) simulated cards that all present the same node
id per family, plus a simulated modem (DMS service, BAM-DMUX and QMAP data plane).
It shows each card's bring-up, then the card, endpoint and modem tables, and keeps
serving until SIGINT or SIGTERM.`;

const EPILOG = `${DEFAULT_RUN}

Configuration: docs/config.md (JSON Schema: qrtrd --print-config-schema).
Exit status: 0 after a clean shutdown, 1 when start failed, 2 for a usage or
configuration error.`;

/** What one qrtrd command line asks for. */
export type QrtrdInvocation =
  | { readonly action: 'help' | 'version'; readonly text: string }
  | { readonly action: 'run' | 'print-config' | 'print-config-schema'; readonly config: QrtrdConfig; readonly source: string };

interface Flags {
  config?: string;
  listen?: string;
  socket?: string;
  node?: string;
  firmwareDir?: string;
  kernel?: boolean;
  tun?: string | true;
  sim: boolean;
  netdev?: string | true;
  plugin?: string[];
  defaultPlugins: boolean;
  capture?: string;
  logLevel?: string;
  logFile?: string;
  quiet?: boolean;
  printConfig?: boolean;
  printConfigSchema?: boolean;
}

/** The qrtrd command (commander), writing help to `out`; errors are thrown, never printed. */
export function qrtrdProgram(out: (text: string) => void = () => undefined): Command {
  const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
  return new Command('qrtrd')
    .description(DESCRIPTION)
    .usage('[options]')
    .option('--config <file>', 'JSON configuration (docs/config.md); flags override it')
    .option('--listen <path>', 'accept remote endpoints on this UNIX stream socket (docs/remote-socket-protocol.md)')
    .option('--socket <path>', 'serve local clients (qrtr, out-of-process plugins) on this UNIX socket')
    .option('--node <id>', "this router's node id (default 1)")
    .option('--firmware-dir <dir>', 'firmware tree (<dir>/ath11k/<CHIP>/<hw>/...) for real cards; only ever read')
    .option('--kernel', "run QMI handles and plugins over the kernel's AF_QIPCRTR sockets (docs/kernel.md)")
    .option('--tun [dev]', 'bridge into the kernel as a remote node through /dev/qrtr-tun (or DEV)')
    .option('--no-sim', 'start without the embedded simulated devices')
    .addOption(new Option('--netdev [mode]', "OS network interfaces for the modem's data plane (needs CAP_NET_ADMIN; docs/dataplane.md)").choices(['raw-ip', 'qmap']))
    .option('--plugin <path>', 'also load this plugin: a path (resolved against the current directory) or a package name; repeatable', collect)
    .option('--no-default-plugins', 'do not load the configured plugins (ath11k, ath12k, bam-dmux by default), only --plugin ones')
    .option('--capture <file>', 'write every packet to a pcap file (docs/capture.md)')
    .addOption(new Option('--log-level <level>', 'log level (default info; warn when progress is drawn on a terminal without --log-file)').choices(LOG_LEVELS))
    .option('--log-file <file>', 'write JSON log lines to FILE instead of standard error')
    .option('--quiet', 'no progress or tables on standard output')
    .option('--print-config', 'print the effective configuration (defaults, file, flags, plugin sections) as JSON and exit')
    .option('--print-config-schema', 'print the JSON Schema of the configuration file (with the loaded plugins’ sections) and exit')
    .version(`qrtrd ${packageVersion()}`, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', EPILOG)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: () => undefined, outputError: () => undefined });
}

/** A `--plugin` value: a path is taken relative to where qrtrd was started; a package name is left to the resolver. */
export function resolvePluginArgument(value: string, cwd = process.cwd()): string {
  if (isAbsolute(value)) return value;
  if (value.startsWith('.') || existsSync(resolve(cwd, value))) return resolve(cwd, value);
  return value;
}

/**
 * Parses a qrtrd command line and builds the configuration from defaults, the config file and
 * flags (in that order). @throws CliUsageError (unknown option, stray argument, bad value),
 * ConfigError / ConfigFileError (the file or a flag has a value qrtrd cannot use).
 */
export function parseQrtrdCommandLine(argv: readonly string[], cwd = process.cwd()): QrtrdInvocation {
  let text = '';
  const program = qrtrdProgram((t) => (text += t));
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed') return { action: 'help', text };
    if (err.code === 'commander.version') return { action: 'version', text };
    if (err.code === 'commander.excessArguments') throw new CliUsageError(`unexpected argument '${program.args[0] ?? ''}': qrtrd takes options only`);
    throw new CliUsageError(oneLine(err.message));
  }
  const values = program.opts<Flags>();
  const base = values.config ? loadConfigFile(values.config) : DEFAULT_CONFIG;
  const source = values.config ?? 'command line';
  const overrides: Record<string, unknown> = {};
  if (values.listen !== undefined) overrides.listen = values.listen;
  if (values.socket !== undefined) overrides.socket = values.socket;
  if (values.node !== undefined) {
    if (!/^\d+$/.test(values.node)) throw new ConfigError('--node', 'a decimal node id', values.node, 'command line');
    overrides.node = Number(values.node);
  }
  if (values.firmwareDir !== undefined) overrides.firmwareDir = values.firmwareDir;
  if (values.kernel) overrides.kernel = true;
  if (values.tun !== undefined) overrides.tun = values.tun === true ? '/dev/qrtr-tun' : values.tun;
  if (values.netdev !== undefined) overrides.netdev = { mode: values.netdev === true ? 'raw-ip' : values.netdev };
  if (!values.sim) overrides.simulation = { enabled: false, cards: [], modem: null };
  const added = (values.plugin ?? []).map((p) => resolvePluginArgument(p, cwd));
  if (!values.defaultPlugins || added.length > 0) overrides.plugins = [...(values.defaultPlugins ? base.plugins : []), ...added];
  if (values.capture !== undefined) overrides.capture = values.capture;
  if (values.logLevel !== undefined) overrides.logLevel = values.logLevel;
  if (values.logFile !== undefined) overrides.logFile = values.logFile;
  if (values.quiet) overrides.console = false;
  const config = parseConfig(overrides, 'command line', base);
  const action = values.printConfigSchema ? 'print-config-schema' : values.printConfig ? 'print-config' : 'run';
  // Printing reads nothing the daemon would open: the paths are checked only for a run.
  if (action === 'run') checkInputPaths(config);
  return { action, config, source };
}

/** The configuration a command line runs with, or 'help' (kept for callers that only run). */
export function configFromArgs(argv: readonly string[]): QrtrdConfig | 'help' {
  const invocation = parseQrtrdCommandLine(argv);
  return 'config' in invocation ? invocation.config : 'help';
}
