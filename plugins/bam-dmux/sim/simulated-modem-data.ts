import { Subscription } from 'rxjs';
import { QmiResultError, nas, wda, wds, type QmiPeer } from '../../../src/sdk';
import { QmiService, type Router } from '../../../src/testing/devices';
import type { SimulatedNetwork, SimulatedCall, SimulatedCall6 } from './simulated-network';

/** QMI protocol errors the simulated WDS answers with (libqmi's QmiProtocolError numbers). */
const QMI_ERR_INVALID_HANDLE = 9;
const QMI_ERR_OUT_OF_CALL = 15;
const QMI_ERR_NO_EFFECT = 26;
const QMI_ERR_INVALID_ARGUMENT = 48;
const QMI_ERR_NOT_SUPPORTED = 94;

/** How the modem's data path is framed; fixed when the data plane starts. */
export type ModemDataMode = 'raw-ip' | 'qmap';

export interface SimulatedDataServicesOptions {
  readonly mode: ModemDataMode;
  /** Raw IP: the BAM-DMUX channels the modem opened. QMAP: the mux ids of its links. */
  readonly ports: readonly number[];
  /** QMAP downlink aggregation protocol the data plane runs (5 QMAP, 8 QMAPv4, 9 QMAPv5). */
  readonly qmapProtocol?: number;
  /** First address of the modem's routed space; call k gets `<subnet + k·256>/24`. Host order. */
  readonly subnet: number;
  /** MTU the network grants (GET_CURRENT_SETTINGS TLV 0x29). */
  readonly mtu: number;
  readonly network: SimulatedNetwork;
  /** Switches the modem's uplink echo (WDA LOOPBACK_CONFIGURATION). */
  readonly setLoopback: (enabled: boolean) => void;
}

type IpFamily = 4 | 6;

interface DataCall {
  readonly handle: number;
  readonly port: number;
  readonly family: IpFamily;
  readonly settings6?: SimulatedCall6;
  readonly owner: QmiPeer;
  readonly persistent: boolean;
  readonly apn: string;
  readonly settings: SimulatedCall;
}

export interface SimulatedDataCallInfo {
  readonly handle: number;
  readonly port: number;
  readonly family: IpFamily;
  readonly persistent: boolean;
  readonly apn: string;
  readonly address: number;
  readonly gateway: number;
  readonly prefixLength: number;
}

/** BAM-DMUX channel N is SIO port A2_MUX_RMNET<N> = 0x0E04 + N (ModemManager's mm-port-qmi.c). */
function channelOfSioPort(port: number): number {
  return port - wds.QMI_SIO_PORT_A2_MUX_RMNET0;
}

/**
 * The modem's data services, as a connection manager drives them: WDA (data format),
 * WDS (bind, start/stop network, current settings, packet service status) and a minimal
 * NAS (registered on LTE), on the modem's own node. A call routes one port (channel or
 * mux id) into the {@link SimulatedNetwork}. Bindings are per client; a client that never
 * bound gets the first port, because qmicli opens a new QRTR socket per run and cannot
 * carry a binding into its next run. A call ends when its client goes away (DEL_CLIENT),
 * as on a real modem, unless it was started with autoconnect (TLV 0x33), which persists
 * until STOP_NETWORK with its handle or with 0xFFFFFFFF.
 */
export class SimulatedDataServices {
  private readonly services: QmiService[] = [];
  private readonly subscriptions = new Subscription();
  private readonly calls = new Map<number, DataCall>();
  private nextHandle = 0x1001;
  private dataFormat: wda.WdaSetDataFormatResp;

  private constructor(private readonly options: SimulatedDataServicesOptions) {
    const qmap = options.mode === 'qmap';
    this.dataFormat = {
      result: { result: 0, error: 0 },
      qos_format: 0,
      link_layer_protocol: wda.QMI_WDA_LINK_LAYER_RAW_IP,
      ul_aggregation_protocol: qmap ? options.qmapProtocol ?? wda.QMI_WDA_AGGREGATION_QMAP : wda.QMI_WDA_AGGREGATION_DISABLED,
      dl_aggregation_protocol: qmap ? options.qmapProtocol ?? wda.QMI_WDA_AGGREGATION_QMAP : wda.QMI_WDA_AGGREGATION_DISABLED,
      dl_max_datagrams: qmap ? 32 : 1,
      dl_max_size: 2040,
      ul_max_datagrams: 1,
      ul_max_size: 2040,
      dl_min_padding: 0,
      flow_control: 0,
    };
  }

  static async start(device: Router, options: SimulatedDataServicesOptions): Promise<SimulatedDataServices> {
    const services = new SimulatedDataServices(options);
    await services.startServices(device);
    return services;
  }

  activeCalls(): SimulatedDataCallInfo[] {
    return [...this.calls.values()].map((c) => ({
      handle: c.handle,
      port: c.port,
      family: c.family,
      persistent: c.persistent,
      apn: c.apn,
      address: c.settings.address,
      gateway: c.settings.gateway,
      prefixLength: c.settings.prefixLength,
    }));
  }

  close(): void {
    this.subscriptions.unsubscribe();
    for (const call of [...this.calls.values()]) this.endCall(call, undefined);
    for (const service of this.services.splice(0)) service.close();
  }

  private async startServices(device: Router): Promise<void> {
    this.services.push(
      await QmiService.start(device, { service: wda.WDA_SERVICE_ID, version: 1, instance: 0, name: 'simulated WDA' }, (s) =>
        s
          .handle(wda.wda_set_data_format_req, wda.wda_set_data_format_resp, (r) => this.setDataFormat(r))
          .handle(wda.wda_get_data_format_req, wda.wda_get_data_format_resp, () => this.dataFormat)
          .handle(wda.wda_loopback_configuration_req, wda.wda_loopback_configuration_resp, (r, c) => this.loopback(r, c.peer)),
      ),
    );
    const wdsService = await QmiService.start(device, { service: wds.WDS_SERVICE_ID, version: 1, instance: 0, name: 'simulated WDS' }, (s) =>
      s
        .handle(wds.wds_set_event_report_req, wds.wds_set_event_report_resp, () => ({}))
        .handle(wds.wds_indication_register_req, wds.wds_indication_register_resp, () => ({}))
        .handle(wds.wds_bind_data_port_req, wds.wds_bind_data_port_resp, (r, c) => this.bind(c.state, this.options.mode === 'raw-ip' ? channelOfSioPort(r.data_port) : -1))
        .handle(wds.wds_bind_mux_data_port_req, wds.wds_bind_mux_data_port_resp, (r, c) => this.bind(c.state, this.options.mode === 'qmap' ? r.mux_id ?? -1 : -1))
        .handle(wds.wds_set_ip_family_req, wds.wds_set_ip_family_resp, (r, c) => {
          // 8 is "unspecified": IPv4, as on modems that default to it.
          if (r.preference !== 4 && r.preference !== 6 && r.preference !== 8) throw new QmiResultError('SET_IP_FAMILY', 1, QMI_ERR_INVALID_ARGUMENT);
          c.state.set('family', r.preference === 6 ? 6 : 4);
          return {};
        })
        .handle(wds.wds_start_network_req, wds.wds_start_network_resp, (r, c) => this.startNetwork(r, c.peer, c.state, wdsService))
        .handle(wds.wds_stop_network_req, wds.wds_stop_network_resp, (r, c) => this.stopNetwork(r.packet_data_handle, c.peer, wdsService))
        .handle(wds.wds_get_packet_service_status_req, wds.wds_get_packet_service_status_resp, (_r, c) => ({
          connection_status: this.callOn(this.portOf(c.state), this.familyOf(c.state))
            ? wds.QMI_WDS_CONNECTION_STATUS_CONNECTED
            : wds.QMI_WDS_CONNECTION_STATUS_DISCONNECTED,
        }))
        .handle(wds.wds_get_current_settings_req, wds.wds_get_current_settings_resp, (_r, c) => this.currentSettings(this.portOf(c.state), this.familyOf(c.state))),
    );
    this.services.push(wdsService);
    // The client's socket closed (qmicli exited): its calls end, unless started to persist.
    this.subscriptions.add(
      wdsService.clientGone$.subscribe((peer) => {
        for (const call of [...this.calls.values()]) if (!call.persistent && samePeer(call.owner, peer)) this.endCall(call, undefined);
      }),
    );
    this.services.push(
      await QmiService.start(device, { service: nas.NAS_SERVICE_ID, version: 1, instance: 0, name: 'simulated NAS' }, (s) =>
        s
          .handle(nas.nas_register_indications_req, nas.nas_register_indications_resp, () => ({}))
          .handle(nas.nas_get_serving_system_req, nas.nas_get_serving_system_resp, () => ({
            serving_system: { registration_state: 1, cs_attach_state: 1, ps_attach_state: 1, selected_network: 2, radio_interfaces: Uint8Array.of(8) },
            roaming_indicator: 1,
            current_plmn: { mcc: 1, mnc: 1, description: 'qrtrd simulated network' },
          })),
      ),
    );
  }

  /** The modem cannot reframe its data path at run time: it answers with what it runs (the only "negotiation"). */
  private setDataFormat(request: wda.WdaSetDataFormatReq): Partial<wda.WdaSetDataFormatResp> {
    if (request.link_layer_protocol !== undefined && request.link_layer_protocol !== wda.QMI_WDA_LINK_LAYER_RAW_IP) {
      throw new QmiResultError('SET_DATA_FORMAT', 1, QMI_ERR_NOT_SUPPORTED);
    }
    const endpoint = request.endpoint_info;
    if (endpoint && endpoint.endpoint_type !== wda.QMI_DATA_ENDPOINT_TYPE_BAM_DMUX) throw new QmiResultError('SET_DATA_FORMAT', 1, QMI_ERR_INVALID_ARGUMENT);
    const qmap = this.options.mode === 'qmap';
    this.dataFormat = {
      ...this.dataFormat,
      dl_max_datagrams: qmap ? Math.min(request.dl_max_datagrams ?? 32, 32) : 1,
      // A BAM-DMUX buffer carries at most 2040 bytes of payload.
      dl_max_size: Math.min(request.dl_max_size ?? 2040, 2040),
    };
    return this.dataFormat;
  }

  /** The modem echoes every uplink packet on its channel (one copy: a replication factor above 1 is refused). */
  private loopback(request: wda.WdaLoopbackConfigurationReq, peer: QmiPeer): Record<string, never> {
    if (request.loopback_state > 1 || (request.replication_factor ?? 1) > 1) throw new QmiResultError('LOOPBACK_CONFIGURATION', 1, QMI_ERR_NOT_SUPPORTED);
    this.options.setLoopback(request.loopback_state === 1);
    const wdaService = this.services[0];
    const indication = { loopback_state: request.loopback_state, replication_factor: request.replication_factor ?? 1 };
    void wdaService?.indicate(wda.wda_loopback_configuration_ind, indication, peer).catch(() => undefined);
    return {};
  }

  private bind(state: Map<string, unknown>, port: number): Record<string, never> {
    if (!this.options.ports.includes(port)) throw new QmiResultError('BIND', 1, QMI_ERR_INVALID_ARGUMENT);
    state.set('port', port);
    return {};
  }

  private portOf(state: Map<string, unknown>): number {
    return (state.get('port') as number | undefined) ?? this.options.ports[0]!;
  }

  private familyOf(state: Map<string, unknown>): IpFamily {
    return (state.get('family') as IpFamily | undefined) ?? 4;
  }

  private callOn(port: number, family: IpFamily): DataCall | undefined {
    for (const call of this.calls.values()) if (call.port === port && call.family === family) return call;
    return undefined;
  }

  private startNetwork(request: wds.WdsStartNetworkReq, peer: QmiPeer, state: Map<string, unknown>, service: QmiService): Partial<wds.WdsStartNetworkResp> {
    const preference = request.ip_family_preference;
    if (preference !== undefined && preference !== 4 && preference !== 6) throw new QmiResultError('START_NETWORK', 1, QMI_ERR_NOT_SUPPORTED);
    const family: IpFamily = preference ?? this.familyOf(state);
    state.set('family', family);
    const port = this.portOf(state);
    if (this.callOn(port, family)) throw new QmiResultError('START_NETWORK', 1, QMI_ERR_NO_EFFECT);
    const index = this.options.ports.indexOf(port);
    const base = (this.options.subnet + index * 256) >>> 0;
    const call: DataCall = {
      handle: this.nextHandle++,
      port,
      family,
      owner: peer,
      persistent: request.enable_autoconnect === 1,
      apn: request.apn ?? '',
      settings: { address: (base + 2) >>> 0, gateway: (base + 1) >>> 0, prefixLength: 24 },
      settings6: family === 6 ? { address: this.ipv6(index, 2), gateway: this.ipv6(index, 1), prefixLength: 64 } : undefined,
    };
    this.calls.set(call.handle, call);
    if (call.settings6) this.options.network.startCall6(port, call.settings6);
    else this.options.network.startCall(port, call.settings);
    void service.indicate(wds.wds_packet_service_status_ind, this.statusIndication(true, family), peer).catch(() => undefined);
    return { packet_data_handle: call.handle };
  }

  /** Call k's IPv6 /64: fd00:<upper half of the IPv4 subnet>:k::/64 (fd00:a40:0::/64 for the first). */
  private ipv6(index: number, host: number): Uint8Array {
    const a = new Uint8Array(16);
    a[0] = 0xfd;
    a[2] = (this.options.subnet >>> 24) & 0xff;
    a[3] = (this.options.subnet >>> 16) & 0xff;
    a[4] = index >> 8;
    a[5] = index & 0xff;
    a[15] = host;
    return a;
  }

  private stopNetwork(handle: number, peer: QmiPeer, service: QmiService): Record<string, never> {
    if (handle === wds.QMI_WDS_GLOBAL_PACKET_DATA_HANDLE) {
      const persistent = [...this.calls.values()].filter((c) => c.persistent);
      if (persistent.length === 0) throw new QmiResultError('STOP_NETWORK', 1, QMI_ERR_NO_EFFECT);
      for (const call of persistent) this.endCall(call, service, peer);
      return {};
    }
    const call = this.calls.get(handle);
    if (!call) throw new QmiResultError('STOP_NETWORK', 1, QMI_ERR_INVALID_HANDLE);
    this.endCall(call, service, peer);
    return {};
  }

  private endCall(call: DataCall, service: QmiService | undefined, notify?: QmiPeer): void {
    this.calls.delete(call.handle);
    if (call.family === 6) this.options.network.stopCall6(call.port);
    else this.options.network.stopCall(call.port);
    if (service && notify) void service.indicate(wds.wds_packet_service_status_ind, this.statusIndication(false, call.family), notify).catch(() => undefined);
  }

  private statusIndication(connected: boolean, family: IpFamily): wds.WdsPacketServiceStatusInd {
    return {
      connection_status: {
        status: connected ? wds.QMI_WDS_CONNECTION_STATUS_CONNECTED : wds.QMI_WDS_CONNECTION_STATUS_DISCONNECTED,
        reconfiguration_required: 0,
      },
      ...(connected ? {} : { call_end_reason: 2 }),
      ip_family: family,
    } as wds.WdsPacketServiceStatusInd;
  }

  private currentSettings(port: number, family: IpFamily): Partial<wds.WdsGetCurrentSettingsResp> {
    const call = this.callOn(port, family);
    if (!call) throw new QmiResultError('GET_CURRENT_SETTINGS', 1, QMI_ERR_OUT_OF_CALL);
    const common = { apn_name: call.apn, pdp_type: family === 6 ? 2 : 0, mtu: this.options.mtu, ip_family: family };
    if (call.settings6) {
      const { address, gateway, prefixLength } = call.settings6;
      return {
        ...common,
        ipv6_address: { address, prefix_length: prefixLength },
        ipv6_gateway_address: { address: gateway, prefix_length: prefixLength },
        ipv6_primary_dns_address: gateway,
      };
    }
    const { address, gateway, prefixLength } = call.settings;
    return {
      ...common,
      ipv4_address: address,
      ipv4_gateway_address: gateway,
      ipv4_gateway_subnet_mask: (0xffffffff << (32 - prefixLength)) >>> 0,
      primary_ipv4_dns_address: gateway,
    };
  }
}

function samePeer(a: QmiPeer, b: QmiPeer): boolean {
  return a.node === b.node && a.port === b.port && a.endpoint === b.endpoint;
}
