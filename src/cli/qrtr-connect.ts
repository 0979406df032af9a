import { QrtrdError } from '../common/errors';
import type { QrtrdConnection } from '../client';
import { NetInterfaceConfigurator, formatIpv4 } from '../kernel/net-tun';
import { QmiClient, wda, wds } from '../qmi';
import { formatBackendKey } from '../router';
import type { ModemNetdevInfo } from '../sdk';

/** What the daemon's `netdevs` query answers. */
interface NetdevsAnswer {
  readonly key: string;
  readonly node: number;
  readonly netdevs: readonly ModemNetdevInfo[];
}

/** GET_CURRENT_SETTINGS requested-settings bits (libqmi QmiWdsRequestedSettings): DNS, IP address, gateway, MTU, IP family. */
const REQUESTED_SETTINGS = (1 << 3) | (1 << 4) | (1 << 8) | (1 << 9) | (1 << 13) | (1 << 15);
const TIMEOUT_MS = 5000;

/** `qrtr connect` / `disconnect` cannot proceed (no modem, no interface, wrong arguments). */
export class ConnectCommandError extends QrtrdError {
  constructor(code: 'QRTR_CONNECT_NO_MODEM' | 'QRTR_CONNECT_NO_NETDEV' | 'QRTR_CONNECT_USAGE', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

export interface ConnectOptions {
  readonly modem?: string;
  readonly apn?: string;
  readonly ipType?: string;
}

/** The result of `qrtr connect`, as printed with --json. */
export interface ConnectResult {
  readonly interface: string;
  readonly modem: string;
  readonly handle: number;
  readonly apn: string;
  /** Absent for `--ip-type 6`. */
  readonly ipv4?: { readonly address: string; readonly gateway: string; readonly prefix: number };
  /** Present for `--ip-type 6` and `4v6` (a second call on its own WDS client, as ModemManager does). */
  readonly ipv6?: { readonly address: string; readonly gateway: string; readonly prefix: number };
  readonly dns: readonly string[];
  readonly mtu: number;
}

function prefixOf(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m & 0x80000000; m = (m << 1) >>> 0) n++;
  return n;
}

/** The modem to use and its first interface, from the daemon. */
async function findNetdev(conn: QrtrdConnection, modem: string | undefined): Promise<{ answer: NetdevsAnswer; netdev: ModemNetdevInfo; endpoint: number }> {
  const answer = (await conn.query('netdevs')) as NetdevsAnswer | null;
  if (!answer) throw new ConnectCommandError('QRTR_CONNECT_NO_MODEM', 'the daemon runs no modem (start qrtrd with its simulated modem)');
  if (modem !== undefined && modem !== answer.key) {
    throw new ConnectCommandError('QRTR_CONNECT_NO_MODEM', `no modem '${modem}'; the daemon has ${answer.key}`, { modem, known: [answer.key] });
  }
  const netdev = answer.netdevs[0];
  if (!netdev) throw new ConnectCommandError('QRTR_CONNECT_NO_NETDEV', `modem ${answer.key} has no network interface: start qrtrd with --netdev`, { modem: answer.key });
  const endpoint = (await conn.endpoints()).find((e) => formatBackendKey(e.key) === answer.key)?.id ?? 0;
  return { answer, netdev, endpoint };
}

async function withClient<T>(conn: QrtrdConnection, service: number, node: number, endpoint: number, run: (client: QmiClient) => Promise<T>): Promise<T> {
  const client = await QmiClient.open(conn, { service, node, endpoint: endpoint > 1 ? endpoint : undefined, name: `qrtr connect (service ${service})` });
  try {
    return await run(client);
  } finally {
    client.close();
  }
}

/**
 * Brings a data call up the way a connection manager does (ModemManager's
 * mm-bearer-qmi.c order): WDA SET_DATA_FORMAT, WDS bind to the interface's channel or
 * mux id, SET_IP_FAMILY, START_NETWORK, GET_CURRENT_SETTINGS; then configures the
 * interface (address, peer, MTU from TLV 0x29, up). The call is started with
 * autoconnect so it outlives this process's QRTR socket; `qrtr disconnect` ends it.
 */
export async function connectCommand(conn: QrtrdConnection, options: ConnectOptions, configurator = new NetInterfaceConfigurator()): Promise<ConnectResult> {
  const ipType = options.ipType ?? '4';
  if (ipType !== '4' && ipType !== '6' && ipType !== '4v6') throw new ConnectCommandError('QRTR_CONNECT_USAGE', `--ip-type must be 4, 6 or 4v6, got '${ipType}'`);
  const { answer, netdev, endpoint } = await findNetdev(conn, options.modem);
  const qmap = netdev.mode === 'qmap';
  const endpointInfo = { endpoint_type: wda.QMI_DATA_ENDPOINT_TYPE_BAM_DMUX, interface_number: 0 };
  await withClient(conn, wda.WDA_SERVICE_ID, answer.node, endpoint, (client) =>
    client.request(wda.wda_set_data_format_req, wda.wda_set_data_format_resp, {
      link_layer_protocol: wda.QMI_WDA_LINK_LAYER_RAW_IP,
      ul_aggregation_protocol: qmap ? wda.QMI_WDA_AGGREGATION_QMAP : wda.QMI_WDA_AGGREGATION_DISABLED,
      dl_aggregation_protocol: qmap ? wda.QMI_WDA_AGGREGATION_QMAP : wda.QMI_WDA_AGGREGATION_DISABLED,
      dl_max_datagrams: 32,
      dl_max_size: 32768,
      endpoint_info: endpointInfo,
    }, { timeout: TIMEOUT_MS }),
  );
  const apn = options.apn ?? 'internet';
  const families: (4 | 6)[] = ipType === '4' ? [4] : ipType === '6' ? [6] : [4, 6];
  const calls = [];
  for (const family of families) {
    calls.push(
      await withClient(conn, wds.WDS_SERVICE_ID, answer.node, endpoint, async (client) => {
        if (qmap) await client.request(wds.wds_bind_mux_data_port_req, wds.wds_bind_mux_data_port_resp, { endpoint_info: endpointInfo, mux_id: netdev.port }, { timeout: TIMEOUT_MS });
        else await client.request(wds.wds_bind_data_port_req, wds.wds_bind_data_port_resp, { data_port: wds.QMI_SIO_PORT_A2_MUX_RMNET0 + netdev.port }, { timeout: TIMEOUT_MS });
        await client.request(wds.wds_set_ip_family_req, wds.wds_set_ip_family_resp, { preference: family }, { timeout: TIMEOUT_MS });
        const started = await client.request(wds.wds_start_network_req, wds.wds_start_network_resp, { apn, ip_family_preference: family, enable_autoconnect: 1 }, { timeout: TIMEOUT_MS });
        const current = await client.request(wds.wds_get_current_settings_req, wds.wds_get_current_settings_resp, { requested_settings: REQUESTED_SETTINGS }, { timeout: TIMEOUT_MS });
        return { family, handle: started.packet_data_handle, settings: current };
      }),
    );
  }
  const mtu = Math.min(calls[0]!.settings.mtu ?? netdev.mtu, netdev.maxMtu);
  configurator.setMtu(netdev.interface, mtu);
  const dns: string[] = [];
  let ipv4: ConnectResult['ipv4'];
  let ipv6: ConnectResult['ipv6'];
  for (const { family, settings } of calls) {
    if (family === 4) {
      const address = settings.ipv4_address ?? 0;
      const gateway = settings.ipv4_gateway_address ?? 0;
      const prefix = prefixOf(settings.ipv4_gateway_subnet_mask ?? 0xffffffff);
      configurator.setIpv4(netdev.interface, { address, prefixLength: prefix, peer: gateway });
      ipv4 = { address: formatIpv4(address), gateway: formatIpv4(gateway), prefix };
      for (const d of [settings.primary_ipv4_dns_address, settings.secondary_ipv4_dns_address]) if (d !== undefined) dns.push(formatIpv4(d));
    } else if (settings.ipv6_address) {
      const { address, prefix_length: prefix } = settings.ipv6_address;
      configurator.addIpv6(netdev.interface, address, prefix);
      ipv6 = { address: formatIpv6(address), gateway: settings.ipv6_gateway_address ? formatIpv6(settings.ipv6_gateway_address.address) : '', prefix };
      for (const d of [settings.ipv6_primary_dns_address, settings.ipv6_secondary_dns_address]) if (d !== undefined) dns.push(formatIpv6(d));
    }
  }
  configurator.setUp(netdev.interface, true);
  return { interface: netdev.interface, modem: answer.key, handle: calls[0]!.handle, apn, ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}), dns, mtu };
}

/** 16 bytes → the compressed text form (`fd00:a40::2`). */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Ends the call `qrtr connect` started (STOP_NETWORK for the autoconnected calls) and unconfigures the interface. */
export async function disconnectCommand(conn: QrtrdConnection, options: ConnectOptions, configurator = new NetInterfaceConfigurator()): Promise<{ interface: string; modem: string }> {
  const { answer, netdev, endpoint } = await findNetdev(conn, options.modem);
  await withClient(conn, wds.WDS_SERVICE_ID, answer.node, endpoint, (client) =>
    client.request(wds.wds_stop_network_req, wds.wds_stop_network_resp, { packet_data_handle: wds.QMI_WDS_GLOBAL_PACKET_DATA_HANDLE, disable_autoconnect: 1 }, { timeout: TIMEOUT_MS }),
  );
  configurator.setIpv4(netdev.interface, { address: 0, prefixLength: 0, peer: 0 });
  configurator.setUp(netdev.interface, false);
  return { interface: netdev.interface, modem: answer.key };
}

export function formatConnectResult(r: ConnectResult): string {
  return [
    `${r.interface}: connected (modem ${r.modem}, apn ${r.apn}, handle 0x${r.handle.toString(16)})`,
    ...(r.ipv4 ? [`  ipv4     ${r.ipv4.address}/${r.ipv4.prefix} peer ${r.ipv4.gateway}`] : []),
    ...(r.ipv6 ? [`  ipv6     ${r.ipv6.address}/${r.ipv6.prefix} gateway ${r.ipv6.gateway}`] : []),
    `  dns      ${r.dns.join(' ') || '-'}`,
    `  mtu      ${r.mtu}`,
  ].join('\n');
}
