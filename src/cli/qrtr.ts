#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError, Option } from 'commander';
import { QrtrdError } from '../common/errors';
import { connectQrtrd, type QrtrdConnection } from '../client';
import { KernelSocketProvider } from '../kernel';
import { describeFilter, lookupServers, watchServers$, type LookupFilter, type ServerInfo } from '../ns';
import type { QrtrSocketProvider } from '../router';
import { formatEndpointTable, formatSectionTable } from '../daemon/console-view';
import type { DaemonStatus } from '../daemon/daemon';
import { endpointKeys, formatLookupRow, formatQrtrLookupRow, LOOKUP_HEADER, lookupRow, QRTR_LOOKUP_HEADER, sortRows } from './qrtr-lookup';
import { describeResponse, prepareRawRequest, prepareSchemaRequest, toJson, QmiCommandError } from './qrtr-qmi';
import { runTrace } from './qrtr-trace';
import { ConnectCommandError, connectCommand, disconnectCommand, formatConnectResult } from './qrtr-connect';
import { stopOnSignals } from './stop-signals';
import { CliUsageError as UsageError, oneLine, packageVersion, parseService, parseUnsigned, serviceNameList } from './cli-common';
import { closestKey } from '../common/closest-key';

export const DEFAULT_SOCKET = '/run/qrtrd/qrtrd.sock';

/** A usage error: exit status 2. */
export { CliUsageError as UsageError } from './cli-common';

function numberArg(name: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseUnsigned(text, name);
}

export interface Output {
  write(text: string): unknown;
}

async function connect(socketPath: string): Promise<QrtrdConnection> {
  try {
    return await connectQrtrd(socketPath, { timeoutMs: 3000 });
  } catch (err) {
    // The daemon is up but refused this connection (its FATAL): say why, not "no daemon".
    if (err instanceof QrtrdError && err.code === 'QRTRD_CLIENT_TOO_MANY') throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new QrtrdError(
      'QRTR_NO_DAEMON',
      `cannot reach qrtrd at ${socketPath} (${reason}). Start it with 'qrtrd --socket ${socketPath}', or point --socket / QRTRD_SOCKET at its socket.`,
      { socket: socketPath },
    );
  }
}

/** Where `qrtr lookup` looks: a running qrtrd, or the kernel's own name service. */
interface LookupSource {
  readonly provider: QrtrSocketProvider;
  /** Backend keys by endpoint id. */
  endpointKeys(): Promise<Map<number, string>>;
  /** Resolves when the source goes away (a --watch then ends). */
  whenClosed(): Promise<void>;
}

function daemonLookupSource(conn: QrtrdConnection): LookupSource {
  return { provider: conn, endpointKeys: async () => endpointKeys(await conn.endpoints()), whenClosed: () => conn.whenClosed().then(() => undefined) };
}

/** The kernel as the router (a Qualcomm system without qrtrd): no endpoint ids, no keys. */
function kernelLookupSource(): LookupSource {
  return { provider: KernelSocketProvider.open(), endpointKeys: async () => new Map(), whenClosed: () => new Promise<void>(() => undefined) };
}

async function lookupCommand(source: LookupSource, positionals: string[], values: Record<string, unknown>, out: Output): Promise<number> {
  const service = positionals[0] === undefined ? 0 : parseService(positionals[0], 'SERVICE');
  const instance = numberArg('INSTANCE', positionals[1]);
  const endpoint = numberArg('--endpoint', values.endpoint as string | undefined);
  const node = numberArg('--node', values.node as string | undefined);
  const timeout = numberArg('--timeout', values.timeout as string | undefined) ?? 1000;
  const filter: LookupFilter = { service, instance, endpoint, node };
  const { provider } = source;
  const keys = await source.endpointKeys();
  const json = values.json === true;
  // `--format qrtr-lookup`: exactly qrtr-lookup's header and columns, for scripts written against it.
  const classic = values.format === 'qrtr-lookup';
  const header = classic ? QRTR_LOOKUP_HEADER : LOOKUP_HEADER;
  const format = classic ? formatQrtrLookupRow : formatLookupRow;
  if (!values.watch) {
    const rows = sortRows((await lookupServers(provider, filter, timeout)).map((s) => lookupRow(s, keys)));
    if (json) out.write(`${toJson(rows, 2)}\n`);
    else out.write([header, ...rows.map(format)].join('\n') + '\n');
    return 0;
  }
  if (!json) out.write(`${header}\n`);
  let removeSignals = (): void => undefined;
  await new Promise<void>((resolve, reject) => {
    const print = (event: string, s: ServerInfo): void => {
      const row = lookupRow(s, keys);
      out.write(json ? `${toJson({ event, ...row })}\n` : `${event === 'add' ? '+' : '-'}${format(row).slice(1)}\n`);
    };
    const subscription = watchServers$(provider, filter, timeout).subscribe({
      next: (e) => {
        if (e.type === 'snapshot') for (const s of e.servers) print('add', s);
        else {
          if (e.type === 'add' && !keys.has(e.server.endpoint)) void source.endpointKeys().then((more) => more.forEach((v, k) => keys.set(k, v)));
          print(e.type, e.server);
        }
      },
      error: reject,
      complete: resolve,
    });
    removeSignals = stopOnSignals(subscription, resolve);
    void source.whenClosed().then(() => {
      subscription.unsubscribe();
      resolve();
    });
  }).finally(() => removeSignals());
  return 0;
}

async function endpointsCommand(conn: QrtrdConnection, values: Record<string, unknown>, out: Output): Promise<number> {
  const status = (await conn.query('status')) as DaemonStatus;
  if (values.json) out.write(`${toJson({ node: status.node, endpoints: status.endpoints, reservations: status.reservations, counters: status.endpointIds }, 2)}\n`);
  else {
    const unattached = status.reservations.filter((r) => !r.attached);
    let text = formatEndpointTable(status) + '\n';
    if (unattached.length > 0) {
      text += `\nReserved, not attached:\n${unattached.map((r) => `${String(r.id).padEnd(4)}${r.key.padEnd(20)}${Object.keys(r.owners).join(',')}`).join('\n')}\n`;
    }
    out.write(text);
  }
  return 0;
}

/** `qrtr <section>`: a status section contributed by the daemon's plugins (`cards`), or `sections` to list them. */
async function sectionCommand(conn: QrtrdConnection, id: string, values: Record<string, unknown>, out: Output): Promise<number> {
  const status = (await conn.query('status')) as DaemonStatus;
  if (id === 'sections') {
    const list = status.sections.map((s) => ({ id: s.id, title: s.title, rows: s.rows.length }));
    out.write(values.json ? `${toJson(list, 2)}\n` : `${list.map((s) => `${s.id.padEnd(12)}${s.title} (${s.rows} rows)`).join('\n')}\n`);
    return 0;
  }
  const section = status.sections.find((s) => s.id === id);
  if (!section) {
    const known = status.sections.map((s) => s.id);
    // 'cards' with no card plugin loaded is an empty table, not a usage error.
    if (id !== 'cards') throw new UsageError(`unknown command '${id}'; run 'qrtr --help' (sections of this daemon: ${known.join(', ') || 'none'})`);
    out.write(values.json ? '[]\n' : 'No cards (is a card plugin such as ath11k loaded?)\n');
    return 0;
  }
  if (values.json) out.write(`${toJson(section.rows.map((r) => r.data), 2)}\n`);
  else out.write(`${formatSectionTable(section)}\n`);
  return section.rows.some((r) => r.failed) ? 1 : 0;
}

async function qmiCommand(provider: QrtrSocketProvider, values: Record<string, unknown>, out: Output): Promise<number> {
  if (values.service === undefined) throw new UsageError('qrtr qmi needs --service N or a name (e.g. --service dms)');
  const service = parseService(values.service as string);
  const instance = numberArg('--instance', values.instance as string | undefined);
  const version = numberArg('--version', values.version as string | undefined);
  const endpoint = numberArg('--endpoint', values.endpoint as string | undefined);
  const node = numberArg('--node', values.node as string | undefined);
  const timeout = numberArg('--timeout', values.timeout as string | undefined) ?? 5000;
  const txn = 1;
  let request;
  if (values.qmi !== undefined) {
    if (typeof values.message !== 'string') throw new UsageError('--qmi FILE needs --message NAME (a request of the file)');
    request = prepareSchemaRequest(values.qmi as string, values.message, (values.input as string | undefined) ?? '{}', txn);
  } else {
    const msgId = numberArg('--msg-id', values.msgId as string | undefined);
    if (msgId === undefined) throw new UsageError('qrtr qmi needs --qmi FILE --message NAME, or --msg-id N with --tlv TYPE=HEX');
    request = prepareRawRequest(msgId, (values.tlv as string[] | undefined) ?? [], txn);
  }
  const filter: LookupFilter = { service, instance, version, endpoint, node };
  const servers = await lookupServers(provider, filter, Math.min(timeout, 2000));
  if (servers.length === 0) {
    throw new QrtrdError('QRTR_NO_SERVICE', `no server for ${describeFilter(filter)}; check 'qrtr lookup'`, { service });
  }
  if (servers.length > 1) {
    const where = servers.map((s) => `node ${s.node} port ${s.port} endpoint ${s.endpoint}`).join(', ');
    throw new UsageError(`${servers.length} servers match service ${service} (${where}); choose one with --endpoint ID or --node N`);
  }
  const server = servers[0];
  const socket = await provider.openSocket();
  try {
    if (server.endpoint > 1) socket.bindEndpoint(server.endpoint);
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(new QrtrdError('QRTR_QMI_TIMEOUT', `no response from service ${service} at ${server.node}:${server.port} within ${timeout} ms`, {})), timeout);
      socket.messages$.subscribe((m) => {
        if (m.from.node !== server.node || m.from.port !== server.port || m.data.length < 7 || m.data[0] !== 2) return;
        if ((m.data[1] | (m.data[2] << 8)) !== txn || (m.data[3] | (m.data[4] << 8)) !== request.msgId) return;
        clearTimeout(timer);
        resolve(m.data);
      });
    });
    await socket.send({ node: server.node, port: server.port }, request.datagram, { endpoint: server.endpoint > 1 ? server.endpoint : undefined });
    const response = describeResponse(await answer, request.response);
    const result = response.result as { result: number; errorName: string } | undefined;
    if (values.json) out.write(`${toJson({ server, request: request.description, response }, 2)}\n`);
    else {
      out.write(`${request.description} -> service ${service} at node ${server.node} port ${server.port} (endpoint ${server.endpoint})\n`);
      if (result) out.write(`result: ${result.result === 0 ? 'success' : `failure (${result.errorName})`}\n`);
      if (response.decoded) out.write(`${toJson(response.decoded, 2)}\n`);
      else for (const t of response.tlvs as { type: number; length: number; value: string }[]) out.write(`TLV 0x${t.type.toString(16).padStart(2, '0')} (${t.length}): ${t.value}\n`);
    }
    return result && result.result !== 0 ? 1 : 0;
  } finally {
    socket.close();
  }
}

/** Built-in subcommands (every status section of the daemon is one more: `qrtr cards`, `qrtr modem`). */
const COMMANDS = ['lookup', 'endpoints', 'sections', 'services', 'qmi', 'connect', 'disconnect', 'trace', 'cards', 'modem'];

type Action = (values: Record<string, unknown>, positionals: string[]) => Promise<number>;

/**
 * The qrtr command tree (commander). Each subcommand has its own options and `--help`;
 * `--socket` and `--json` are accepted before the subcommand and after it.
 */
function qrtrProgram(out: Output, run: (command: string, action: Action, values: Record<string, unknown>, positionals: string[]) => Promise<void>, extraSection?: string): Command {
  const program = new Command('qrtr')
    .description('talk to a running qrtrd (its local-client socket)')
    .usage('<command> [options]')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (t) => out.write(t), writeErr: () => undefined, outputError: () => undefined })
    .version(`qrtr ${packageVersion()}`, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help (qrtr COMMAND --help: the options of one command)')
    .addHelpText(
      'after',
      `
Common options of every command:
  --socket PATH   qrtrd's local-client socket (default $QRTRD_SOCKET or ${DEFAULT_SOCKET})
  --json          machine-readable output (errors too: {"error": {"code", "message"}})

Services are given by number (2, 0x45) or name (dms, wds, nas, wda, wlfw, ...; 'qrtr services').
Exit status: 0 on success, 1 when the operation failed, 2 on a usage error.`,
    );
  const common = (c: Command): Command =>
    c
      .option('--socket <path>', `qrtrd's local-client socket (default $QRTRD_SOCKET or ${DEFAULT_SOCKET})`)
      .option('--json', 'machine-readable output')
      .helpOption('-h, --help', 'show the options of this command')
      // Stray words are refused in the action, where the message can name them.
      .allowExcessArguments(true);
  common(program).allowExcessArguments(false).helpOption('-h, --help', 'show help (qrtr COMMAND --help: the options of one command)');
  const add = (name: string, description: string, action: Action): Command => {
    const c = common(program.command(name).description(description));
    c.action(async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const stray = cmd.args[cmd.registeredArguments.length];
      if (stray !== undefined) throw new UsageError(`unexpected argument '${stray}'`);
      const positionals = args.slice(0, -2).filter((a): a is string => typeof a === 'string');
      await run(name.split(' ')[0], action, { ...program.opts(), ...cmd.opts() }, positionals);
    });
    return c;
  };
  add('lookup [service] [instance]', 'list servers like qrtr-lookup, plus endpoint id and backend key', (v, p) => withLookupSource(v, (source) => lookupCommand(source, p, v, out)))
    .option('--endpoint <id>', 'only servers behind this endpoint')
    .option('--node <n>', 'only servers on this node')
    .option('--kernel', "ask the running kernel's name service (AF_QIPCRTR), not qrtrd")
    .option('--watch', 'keep running and print servers as they come and go')
    .option('--timeout <ms>', 'how long to wait for the listing (default 1000)')
    .addOption(new Option('--format <format>', "columns: 'wide' (plus endpoint, key) or exactly qrtr-lookup's").choices(['wide', 'qrtr-lookup']).default('wide'));
  add('endpoints', 'endpoint ids, backend keys, nodes, reservations and counters', (v) => withDaemon(v, (conn) => endpointsCommand(conn, v, out)));
  add('sections', "the daemon's status sections (each is a command: cards, modem, ...)", (v) => withDaemon(v, (conn) => sectionCommand(conn, 'sections', v, out)));
  add('services', 'the service names accepted wherever a service number is', async (v) => {
    const list = serviceNameList();
    out.write(v.json ? `${toJson(list, 2)}\n` : `${list.map((e) => `${String(e.id).padStart(5)}  ${(e.short ?? '-').padEnd(8)} ${e.name}`).join('\n')}\n`);
    return 0;
  });
  for (const [name, description] of [
    ['cards', 'the card table of every card plugin (state, progress); exit 1 when a card failed'],
    ['modem', "the simulated modem's data plane"],
    ...(extraSection ? [[extraSection, `the daemon's '${extraSection}' status section`]] : []),
  ] as const) {
    add(name, description, (v) => withDaemon(v, (conn) => sectionCommand(conn, name, v, out)));
  }
  add('qmi', 'send one QMI request and print the decoded response', (v) => (v.kernel ? qmiCommand(KernelSocketProvider.open(), v, out) : withDaemon(v, (conn) => qmiCommand(conn, v, out))))
    .option('--service <service>', 'the service, by number or name (dms, wlfw, ...)')
    .option('--instance <n>', 'only this instance')
    .option('--version <n>', 'only this service version')
    .option('--endpoint <id>', 'the endpoint, when several serve it (identical cards)')
    .option('--node <n>', 'only the server on this node')
    .option('--kernel', 'through the running kernel (AF_QIPCRTR), not qrtrd')
    .option('--qmi <file>', 'a request described by a qmic .qmi file (with --message)')
    .option('--message <name>', 'the request of the .qmi file')
    .option('--input <json>', "the request's fields as JSON (with --qmi)")
    .option('--msg-id <n>', 'a raw request: its message id')
    .option('--tlv <type=hex>', 'a raw request TLV (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--timeout <ms>', 'how long to wait for the response (default 5000)');
  add('connect', "bring the modem's data call up and configure its interface (qrtrd --netdev)", (v) =>
    withDaemon(v, async (conn) => {
      const result = await connectCommand(conn, { modem: v.modem as string | undefined, apn: v.apn as string | undefined, ipType: v.ipType as string | undefined });
      out.write(v.json ? `${toJson(result, 2)}\n` : `${formatConnectResult(result)}\n`);
      return 0;
    }),
  )
    .option('--modem <key>', "the modem's backend key (default: the daemon's modem)")
    .option('--apn <apn>', 'access point name (default internet)')
    .addOption(new Option('--ip-type <type>', 'IP family of the call (default 4)').choices(['4', '6', '4v6']));
  add('disconnect', 'end that call and take the interface down', (v) =>
    withDaemon(v, async (conn) => {
      const result = await disconnectCommand(conn, { modem: v.modem as string | undefined });
      out.write(v.json ? `${toJson(result, 2)}\n` : `${result.interface}: disconnected\n`);
      return 0;
    }),
  ).option('--modem <key>', "the modem's backend key");
  add('trace', 'live decoded QRTR/QMI traffic per endpoint', (v) => (v.read ? runTrace(undefined, v, out) : withDaemon(v, (conn) => runTrace(conn, v, out))))
    .option('--pcap <file>', 'also write the traffic to a pcap file (docs/capture.md)')
    .option('--read <file>', 'decode a pcap file instead of live traffic (no daemon needed)')
    .option('--endpoint <id>', 'only this endpoint')
    .option('--count <n>', 'stop after N packets');
  return program;
}

let currentEnv: NodeJS.ProcessEnv = process.env;

async function withDaemon(values: Record<string, unknown>, use: (conn: QrtrdConnection) => Promise<number>): Promise<number> {
  if (values.kernel) throw new UsageError(`--kernel is an option of 'qrtr lookup' and 'qrtr qmi' only`);
  const conn = await connect((values.socket as string | undefined) ?? currentEnv.QRTRD_SOCKET ?? DEFAULT_SOCKET);
  try {
    return await use(conn);
  } finally {
    conn.close();
  }
}

function withLookupSource(values: Record<string, unknown>, use: (source: LookupSource) => Promise<number>): Promise<number> {
  if (values.kernel) return use(kernelLookupSource());
  return withDaemon(values, (conn) => use(daemonLookupSource(conn)));
}

/** The subcommand word of a command line (the first word that is not an option or --socket's value). */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--socket') i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return undefined;
}

function isUsage(e: unknown): boolean {
  return e instanceof UsageError || e instanceof QmiCommandError || (e instanceof ConnectCommandError && e.code === 'QRTR_CONNECT_USAGE') || (e instanceof QrtrdError && e.code === 'QRTR_USAGE');
}

/** Runs one `qrtr` invocation; returns the exit status. */
export async function runQrtr(argv: readonly string[], out: Output = process.stdout, err: Output = process.stderr, env = process.env): Promise<number> {
  currentEnv = env;
  const json = argv.includes('--json');
  const word = commandWord(argv);
  const report = (command: string, e: unknown, usage: boolean): number => {
    const message = (e as Error).message ?? String(e);
    if (json) {
      const body = e instanceof QrtrdError ? e.toJSON() : { name: 'Error', code: usage ? 'QRTR_USAGE' : 'QRTR_FAILED', message };
      out.write(`${toJson({ error: body }, 2)}\n`);
    } else if (usage) err.write(`${command}: ${message}${message.includes("--help'") ? '' : `; run '${command} --help'`}\n`);
    else err.write(`${command}: ${message}${e instanceof QrtrdError ? ` [${e.code}]` : ''}\n`);
    return usage ? 2 : 1;
  };
  if (word === undefined && !argv.some((a) => ['-h', '--help', '-V', '--version'].includes(a))) {
    return report('qrtr', new UsageError('no command given (lookup, endpoints, cards, qmi, trace, ...)'), true);
  }
  // A word that is no built-in command is a status section of the daemon, unless it is a typo of a command.
  let extraSection: string | undefined;
  if (word !== undefined && word !== 'help' && !COMMANDS.includes(word)) {
    const meant = closestKey(word, COMMANDS);
    if (meant || !/^[a-z][a-z0-9-]*$/.test(word)) return report('qrtr', new UsageError(`unknown command '${word}'${meant ? ` (did you mean ${meant}?)` : ''}`), true);
    extraSection = word;
  }
  let status = 0;
  let failedCommand = `qrtr${word ? ` ${word}` : ''}`;
  const program = qrtrProgram(
    out,
    async (command, action, values, positionals) => {
      failedCommand = `qrtr ${command}`;
      status = await action(values, positionals);
    },
    extraSection,
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      const message = e.code === 'commander.excessArguments' ? `unexpected argument (${oneLine(e.message).replace(/\.$/, '')})` : oneLine(e.message);
      return report(failedCommand, new UsageError(message), true);
    }
    return report(failedCommand, e, isUsage(e));
  }
}

if (require.main === module) {
  // `qrtr trace | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  runQrtr(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`qrtr: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
