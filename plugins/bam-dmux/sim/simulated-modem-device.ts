import { Subscription, interval } from 'rxjs';
import { dms, type NetdevConfig, type PluginLogger, type QrtrSocketProvider, type SimulatedModemConfig } from '../../../src/sdk';
import { NameService, QmiService, Router, createMemoryLink, type AttachedEndpoint } from '../../../src/testing/devices';
import { createSimulatedModem, type SimulatedModem, type SimulatedModemStats } from './create-simulated-modem';
import { SimulatedNetwork, type SimulatedNetworkStats } from './simulated-network';
import { ModemNetdevs, type ModemNetdevInfo } from './modem-netdevs';
import { SimulatedDataServices, type ModemDataMode, type SimulatedDataCallInfo } from './simulated-modem-data';

export type { SimulatedModemConfig } from '../../../src/sdk';

/** The routed space of the simulated modem's calls (call k: 10.64.k.0/24) and the MTU it grants. */
export const SIMULATED_MODEM_SUBNET = 0x0a400000;
export const SIMULATED_MODEM_MTU = 1500;

/** What the simulated modem's DMS service answers (qmicli --dms-get-manufacturer etc.). */
export const SIMULATED_MODEM_IDENTITY = {
  manufacturer: 'qrtrd simulated modem',
  model: 'QRTRD-SIM-X55',
  revision: 'MPSS.SIM.1.0-00042-QRTRD',
  imei: '356938035643809',
  esn: '0',
  meid: '35693803564380',
} as const;

export interface SimulatedModemStatus {
  readonly endpoint: number;
  readonly key: string;
  readonly node: number;
  readonly stats: SimulatedModemStats;
  readonly packetsReceived: number;
  readonly mode: ModemDataMode;
  readonly network: SimulatedNetworkStats;
  readonly calls: readonly SimulatedDataCallInfo[];
  readonly netdevs: readonly ModemNetdevInfo[];
}

/**
 * A modem as a Qualcomm SoC presents it: QMI services on its own node behind an
 * rpmsg link (here a device router with a DMS service), and a BAM-DMUX data plane
 * with QMAP on channel 0 that is bound to the same endpoint ID as the modem's QMI
 * traffic, so one modem's control and data never mix with another's.
 */
export class SimulatedModemDevice {
  private readonly device: Router;
  private readonly attached: AttachedEndpoint;
  private readonly dataPlane: SimulatedModem;
  private readonly subscriptions = new Subscription();
  private dmsService: QmiService | undefined;
  private dataServices: SimulatedDataServices | undefined;
  private readonly network: SimulatedNetwork;
  private readonly netdevs: ModemNetdevs | undefined;
  private readonly mode: ModemDataMode;
  private received = 0;

  private constructor(
    host: Router,
    readonly config: SimulatedModemConfig,
    private readonly netdev: NetdevConfig | null,
    logger: PluginLogger | undefined,
    private readonly subnet: number,
  ) {
    this.device = new Router({ localNode: config.node });
    new NameService(this.device);
    const key = { kind: 'rpmsg', key: config.rpmsgDevice };
    const [near, far] = createMemoryLink(key, { kind: 'memory', key: 'modem-host-side' });
    this.attached = host.attach(near);
    this.device.attach(far);
    // Raw IP per channel is what qcom_bam_dmux does; QMAP on channel 0 is the IPA/MHI way.
    this.network = new SimulatedNetwork({ loss: (config.lossPercent ?? 0) / 100 });
    this.mode = netdev ? netdev.mode : config.muxIds.length > 0 ? 'qmap' : 'raw-ip';
    this.dataPlane = createSimulatedModem({
      backendKey: { kind: 'rpmsg', key: config.rpmsgDevice },
      endpointId: this.attached.id,
      qmap: this.mode === 'qmap' ? { muxIds: [...(config.muxIds.length > 0 ? config.muxIds : [1])] } : undefined,
      network: this.network,
      networkLatencyMs: config.latencyMs ?? 0,
    });
    if (netdev && logger) {
      this.netdevs = new ModemNetdevs(netdev, logger);
      if (this.mode === 'raw-ip') this.netdevs.followChannels(this.dataPlane.dmux);
    }
  }

  /** `netdev`: also expose the data plane as OS interfaces (needs CAP_NET_ADMIN, checked by the caller). */
  static async start(
    host: Router,
    config: SimulatedModemConfig,
    netdev: NetdevConfig | null = null,
    logger?: PluginLogger,
    /** First address of this modem's routed space (host order): give modems side by side distinct ones. */
    subnet = SIMULATED_MODEM_SUBNET,
  ): Promise<SimulatedModemDevice> {
    const modem = new SimulatedModemDevice(host, config, netdev, logger, subnet);
    try {
      await modem.startServices();
    } catch (err) {
      await modem.stop();
      throw err;
    }
    return modem;
  }

  get endpoint(): number {
    return this.attached.id;
  }

  status(): SimulatedModemStatus {
    return {
      endpoint: this.attached.id,
      key: `rpmsg:${this.config.rpmsgDevice}`,
      node: this.config.node,
      stats: this.dataPlane.stats(),
      packetsReceived: this.received,
      mode: this.mode,
      network: this.network.stats(),
      calls: this.dataServices?.activeCalls() ?? [],
      netdevs: this.netdevs?.list() ?? [],
    };
  }

  async stop(): Promise<void> {
    this.subscriptions.unsubscribe();
    this.netdevs?.dispose();
    this.dataServices?.close();
    this.dmsService?.close();
    this.dataPlane.dispose();
    this.attached.detach();
    this.device.shutdown();
  }

  private async startServices(): Promise<void> {
    this.dmsService = await startSimulatedDms(this.device, 'simulated DMS');
    await this.dataPlane.ready;
    const qmap = this.dataPlane.qmap();
    if (qmap && this.netdevs) this.netdevs.attachLinks(this.dataPlane.dmux.channel(0)!, qmap.links, false);
    this.dataServices = await SimulatedDataServices.start(this.device, {
      mode: this.mode,
      ports: qmap ? [...qmap.links.keys()] : this.dataPlane.dmux.stats().openChannels,
      subnet: this.subnet,
      mtu: this.netdev ? Math.min(SIMULATED_MODEM_MTU, this.netdev.mtu - (qmap ? 4 : 0)) : SIMULATED_MODEM_MTU,
      network: this.network,
      setLoopback: (enabled) => {
        this.dataPlane.modem.echo = enabled;
      },
    });
    // With OS interfaces the OS is the traffic source; the generator would only add noise.
    if (!qmap || this.config.trafficPps === 0 || this.netdevs) return;
    // Consume what the modem sends on every link, in budgeted polls as a NAPI-style driver would.
    for (const link of qmap.links.values()) {
      this.subscriptions.add(
        link.readable$.subscribe(() => {
          this.received += link.poll(64, () => undefined);
        }),
      );
    }
    const muxIds = [...qmap.links.keys()];
    const perTick = Math.max(1, Math.round(this.config.trafficPps / 10));
    let sequence = 0;
    this.subscriptions.add(
      interval(100).subscribe(() => {
        void this.dataPlane.modem.generate({ channel: 0, count: perTick, kind: 'ipv4-udp', qmap: { muxIds, checksum: 'none' }, firstSequence: sequence });
        sequence += perTick;
      }),
    );
  }
}

/** The modem's DMS (identity queries) on a socket provider: the device router, or the kernel in kernel mode. */
export function startSimulatedDms(provider: QrtrSocketProvider, name: string): Promise<QmiService> {
  const id = SIMULATED_MODEM_IDENTITY;
  return QmiService.start(provider, { service: dms.DMS_SERVICE_ID, version: 1, instance: 0, name }, (s) =>
    s
      .handle(dms.dms_get_manufacturer_req, dms.dms_get_manufacturer_resp, () => ({ manufacturer: id.manufacturer }))
      .handle(dms.dms_get_model_req, dms.dms_get_model_resp, () => ({ model: id.model }))
      .handle(dms.dms_get_revision_req, dms.dms_get_revision_resp, () => ({ revision: id.revision }))
      .handle(dms.dms_get_ids_req, dms.dms_get_ids_resp, () => ({ esn: id.esn, imei: id.imei, meid: id.meid })),
  );
}
