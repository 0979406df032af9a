import { parseArgs } from 'node:util';
import { checkInputPaths } from '../daemon/input-paths';
import { ConfigError, DEFAULT_CONFIG, loadConfigFile, parseConfig, type QrtrdConfig } from '../daemon/config';

export const HELP = `qrtrd: userspace QRTR router, endpoint-aware name service and QMI host

Usage: qrtrd [options]

Without options qrtrd runs its embedded default: two QCN9074 and one WCN6855
(ath11k) and one WCN7850 (ath12k) simulated cards that all present the same node
id per family, plus a simulated modem (DMS service, BAM-DMUX and QMAP data plane).
It shows each card's bring-up, then the card, endpoint and modem tables, and keeps
serving until SIGINT or SIGTERM.

Options:
  --config FILE        JSON configuration (schema: docs/config.md); flags override it
  --listen PATH        accept remote endpoints on this UNIX stream socket (one endpoint
                       per connection, QRTR packets back to back; docs/remote-socket-protocol.md)
  --socket PATH        serve local clients (qrtr CLI, out-of-process plugins) on this
                       UNIX socket (docs/local-client-protocol.md)
  --node ID            this router's node id (default 1)
  --firmware-dir DIR   firmware tree (<dir>/ath11k/<CHIP>/<hw>/...) for real cards; only
                       ever read (simulated cards load synthetic files qrtrd writes to a
                       temporary directory of its own, removed at exit)
  --kernel             run QMI handles and plugins over the kernel's AF_QIPCRTR sockets
                       (needs the native addon and a kernel with QRTR; docs/kernel.md)
  --tun [DEV]          bridge into the kernel as a remote node through /dev/qrtr-tun
                       (or DEV), translating node ids per endpoint (docs/kernel.md)
  --no-sim             start without the embedded simulated devices
  --netdev [MODE]      OS network interfaces for the modem's data plane: raw-ip (default,
                       wwan%d per BAM-DMUX channel) or qmap (rmnet_data%d per mux id);
                       needs CAP_NET_ADMIN (docs/dataplane.md)
  --plugin MODULE      load this plugin (repeatable; replaces the configured list)
  --capture FILE       write every packet to a pcap file (Wireshark: docs/capture.md)
  --log-level LEVEL    fatal, error, warn, info, debug, trace or silent (default info;
                       warn when progress is drawn on a terminal without --log-file)
  --log-file FILE      write JSON log lines to FILE instead of standard error
  --quiet              no progress or tables on standard output
  -h, --help           show this help
`;

interface Flags {
  config?: string;
  listen?: string;
  socket?: string;
  node?: string;
  'firmware-dir'?: string;
  kernel?: boolean;
  tun?: boolean;
  'no-sim'?: boolean;
  plugin?: string[];
  capture?: string;
  'log-level'?: string;
  'log-file'?: string;
  quiet?: boolean;
  help?: boolean;
}

/** Builds the configuration from defaults, the config file and flags (in that order). */
export function configFromArgs(argv: readonly string[]): QrtrdConfig | 'help' {
  // --tun takes an optional device: pull a following non-flag word out by hand.
  const args = [...argv];
  let tunDevice: string | null = null;
  const tunAt = args.indexOf('--tun');
  if (tunAt >= 0) {
    const next = args[tunAt + 1];
    tunDevice = next !== undefined && !next.startsWith('-') ? (args.splice(tunAt + 1, 1)[0] as string) : '/dev/qrtr-tun';
  }
  let netdevMode: string | null = null;
  const netdevAt = args.indexOf('--netdev');
  if (netdevAt >= 0) {
    const next = args[netdevAt + 1];
    netdevMode = next !== undefined && !next.startsWith('-') ? (args.splice(netdevAt + 1, 1)[0] as string) : 'raw-ip';
    args.splice(netdevAt, 1);
  }
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      socket: { type: 'string' },
      node: { type: 'string' },
      'firmware-dir': { type: 'string' },
      kernel: { type: 'boolean' },
      tun: { type: 'boolean' },
      'no-sim': { type: 'boolean' },
      plugin: { type: 'string', multiple: true },
      capture: { type: 'string' },
      'log-level': { type: 'string' },
      'log-file': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }) as { values: Flags };
  if (values.help) return 'help';
  const base = values.config ? loadConfigFile(values.config) : DEFAULT_CONFIG;
  const overrides: Record<string, unknown> = {};
  if (values.listen !== undefined) overrides.listen = values.listen;
  if (values.socket !== undefined) overrides.socket = values.socket;
  if (values.node !== undefined) {
    const node = Number(values.node);
    if (!/^\d+$/.test(values.node)) throw new ConfigError('--node', 'a decimal node id', values.node, 'command line');
    overrides.node = node;
  }
  if (values['firmware-dir'] !== undefined) overrides.firmwareDir = values['firmware-dir'];
  if (values.kernel) overrides.kernel = true;
  if (tunDevice) overrides.tun = tunDevice;
  if (netdevMode) overrides.netdev = { mode: netdevMode };
  if (values['no-sim']) overrides.simulation = { enabled: false, cards: [], modem: null };
  if (values.plugin) overrides.plugins = values.plugin;
  if (values.capture !== undefined) overrides.capture = values.capture;
  if (values['log-level'] !== undefined) overrides.logLevel = values['log-level'];
  if (values['log-file'] !== undefined) overrides.logFile = values['log-file'];
  if (values.quiet) overrides.console = false;
  const config = parseConfig(overrides, 'command line', base);
  checkInputPaths(config);
  return config;
}

