#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { QrtrdError } from '../common/errors';
import { connectQrtrd, type QrtrdConnection } from '../client';
import { KernelSocketProvider } from '../kernel';
import { describeFilter, lookupServers, watchServers$, type LookupFilter, type ServerInfo } from '../ns';
import type { QrtrSocketProvider } from '../router';
import { formatEndpointTable, formatSectionTable } from '../daemon/console-view';
import type { DaemonStatus } from '../daemon/daemon';
import { endpointKeys, formatLookupRow, LOOKUP_HEADER, lookupRow, sortRows } from './qrtr-lookup';
import { describeResponse, prepareRawRequest, prepareSchemaRequest, toJson, QmiCommandError } from './qrtr-qmi';
import { runTrace } from './qrtr-trace';
import { ConnectCommandError, connectCommand, disconnectCommand, formatConnectResult } from './qrtr-connect';
import { stopOnSignals } from './stop-signals';

export const DEFAULT_SOCKET = '/run/qrtrd/qrtrd.sock';

const HELP = `qrtr: talk to a running qrtrd

Usage: qrtr <command> [options]

Commands:
  lookup [SERVICE [INSTANCE]]  list servers like qrtr-lookup, plus endpoint id and backend key
      --endpoint ID            only servers behind this endpoint
      --node N                 only servers on this node
      --kernel                 ask the running kernel's name service (AF_QIPCRTR), not qrtrd
      --watch                  keep running and print servers as they come and go
      --timeout MS             how long to wait for the listing (default 1000)
  endpoints                    endpoint ids, backend keys, nodes, reservations and counters
  cards, modem, ...            a status section the daemon's plugins contribute (cards: the card
                               table of every card plugin; modem: the simulated modem); exits 1
                               when a row failed. 'qrtr sections' lists them.
  qmi                          send one QMI request and print the decoded response
      --service N [--instance N] [--version N] [--endpoint ID] [--node N]
      --kernel                 through the running kernel (AF_QIPCRTR), not qrtrd
      --qmi FILE --message NAME [--input '{...}']  a request described by a .qmi file
      --msg-id N [--tlv TYPE=HEX ...]              or a raw request
      --timeout MS             (default 5000)
  connect                      bring the modem's data call up and configure its interface
      --modem KEY [--apn APN] [--ip-type 4|6|4v6]   (default 4; needs qrtrd --netdev; docs/dataplane.md)
  disconnect [--modem KEY]     end that call and take the interface down
  trace                        live decoded QRTR/QMI traffic per endpoint
      --pcap FILE              also write the traffic to a pcap file (Wireshark: docs/capture.md)
      --read FILE              decode a pcap file instead of live traffic
      --endpoint ID            only this endpoint
      --count N                stop after N packets

Common options:
  --socket PATH   qrtrd's local-client socket (default $QRTRD_SOCKET or ${DEFAULT_SOCKET})
  --json          machine-readable output
  -h, --help      this help

Exit status: 0 on success, 1 when the operation failed, 2 on a usage error.
`;

/** A usage error: exit status 2. */
export class UsageError extends QrtrdError {
  constructor(message: string) {
    super('QRTR_USAGE', message);
  }
}

function numberArg(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`${name} must be a non-negative integer, got '${text}'`);
  return n;
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
  const service = numberArg('SERVICE', positionals[0]) ?? 0;
  const instance = numberArg('INSTANCE', positionals[1]);
  const endpoint = numberArg('--endpoint', values.endpoint as string | undefined);
  const node = numberArg('--node', values.node as string | undefined);
  const timeout = numberArg('--timeout', values.timeout as string | undefined) ?? 1000;
  const filter: LookupFilter = { service, instance, endpoint, node };
  const { provider } = source;
  const keys = await source.endpointKeys();
  const json = values.json === true;
  if (!values.watch) {
    const rows = sortRows((await lookupServers(provider, filter, timeout)).map((s) => lookupRow(s, keys)));
    if (json) out.write(`${toJson(rows, 2)}\n`);
    else out.write([LOOKUP_HEADER, ...rows.map(formatLookupRow)].join('\n') + '\n');
    return 0;
  }
  if (!json) out.write(`${LOOKUP_HEADER}\n`);
  let removeSignals = (): void => undefined;
  await new Promise<void>((resolve, reject) => {
    const print = (event: string, s: ServerInfo): void => {
      const row = lookupRow(s, keys);
      out.write(json ? `${toJson({ event, ...row })}\n` : `${event === 'add' ? '+' : '-'}${formatLookupRow(row).slice(1)}\n`);
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
  const service = numberArg('--service', values.service as string | undefined);
  if (service === undefined) throw new UsageError('qrtr qmi needs --service N (e.g. --service 2 for DMS)');
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
    const msgId = numberArg('--msg-id', values['msg-id'] as string | undefined);
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

/** Runs one `qrtr` invocation; returns the exit status. */
export async function runQrtr(argv: readonly string[], out: Output = process.stdout, err: Output = process.stderr, env = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    out.write(HELP);
    return command ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        socket: { type: 'string' },
        json: { type: 'boolean' },
        input: { type: 'string' },
        endpoint: { type: 'string' },
        node: { type: 'string' },
        kernel: { type: 'boolean' },
        watch: { type: 'boolean' },
        timeout: { type: 'string' },
        service: { type: 'string' },
        instance: { type: 'string' },
        version: { type: 'string' },
        qmi: { type: 'string' },
        message: { type: 'string' },
        'msg-id': { type: 'string' },
        tlv: { type: 'string', multiple: true },
        pcap: { type: 'string' },
        read: { type: 'string' },
        count: { type: 'string' },
        modem: { type: 'string' },
        apn: { type: 'string' },
        'ip-type': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err.write(`qrtr: ${(e as Error).message}\nRun 'qrtr --help' for the commands.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.write(HELP);
    return 0;
  }
  const socketPath = (values.socket as string | undefined) ?? env.QRTRD_SOCKET ?? DEFAULT_SOCKET;
  let conn: QrtrdConnection | undefined;
  try {
    if (command === 'trace' && values.read) return await runTrace(undefined, values, out);
    if (!/^[a-z][a-z0-9-]*$/.test(command)) throw new UsageError(`unknown command '${command}'; run 'qrtr --help'`);
    if (values.kernel && command !== 'lookup' && command !== 'qmi') throw new UsageError(`--kernel is an option of 'qrtr lookup' and 'qrtr qmi' only`);
    if (values.kernel && command === 'lookup') return await lookupCommand(kernelLookupSource(), positionals, values, out);
    if (values.kernel) return await qmiCommand(KernelSocketProvider.open(), values, out);
    conn = await connect(socketPath);
    switch (command) {
      case 'lookup':
        return await lookupCommand(daemonLookupSource(conn), positionals, values, out);
      case 'endpoints':
        return await endpointsCommand(conn, values, out);
      case 'qmi':
        return await qmiCommand(conn, values, out);
      case 'connect': {
        const result = await connectCommand(conn, { modem: values.modem as string | undefined, apn: values.apn as string | undefined, ipType: values['ip-type'] as string | undefined });
        out.write(values.json ? `${toJson(result, 2)}\n` : `${formatConnectResult(result)}\n`);
        return 0;
      }
      case 'disconnect': {
        const result = await disconnectCommand(conn, { modem: values.modem as string | undefined });
        out.write(values.json ? `${toJson(result, 2)}\n` : `${result.interface}: disconnected\n`);
        return 0;
      }
      case 'trace':
        return await runTrace(conn, values, out);
      default:
        return await sectionCommand(conn, command, values, out);
    }
  } catch (e) {
    const usage = e instanceof UsageError || e instanceof QmiCommandError || (e instanceof ConnectCommandError && e.code === 'QRTR_CONNECT_USAGE');
    if (values.json && !usage) {
      const body = e instanceof QrtrdError ? e.toJSON() : { name: 'Error', code: 'QRTR_FAILED', message: String((e as Error).message ?? e) };
      out.write(`${toJson({ error: body }, 2)}\n`);
    } else err.write(`qrtr ${command}: ${(e as Error).message}${e instanceof QrtrdError ? ` [${e.code}]` : ''}\n`);
    return usage ? 2 : 1;
  } finally {
    conn?.close();
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
