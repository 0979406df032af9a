import { Subscription } from 'rxjs';
import { BAM_DMUX_MAX_MTU, QMAP_HEADER_OVERHEAD, QrtrdError, type ModemNetdevInfo as NetdevInfo, type NetdevConfig, type PluginLogger } from '../../../src/sdk';
import { NetTunDevice, hasNetAdminCapability } from '../../../src/testing/devices';
import { NetdevBridge, type BamDmux, type BamDmuxChannel, type IpPacketPort, type NetdevBridgeStats } from '../src';
import type { QmapLink } from '../src/qmap/qmap-link';

/** `--netdev` without CAP_NET_ADMIN: refused before anything starts. */
export class NetdevCapabilityError extends QrtrdError {
  constructor() {
    super(
      'QRTRD_NETDEV_NO_CAPABILITY',
      'qrtrd --netdev creates network interfaces and needs CAP_NET_ADMIN: run it as root, in a network namespace you own (`unshare -rn`), or grant the capability (`setcap cap_net_admin+ep`)',
    );
  }
}

/** Throws NetdevCapabilityError unless this process may create interfaces. */
export function assertNetdevCapability(hasCapability: () => boolean = hasNetAdminCapability): void {
  if (!hasCapability()) throw new NetdevCapabilityError();
}

/** One OS interface of a modem, as `qrtr connect` and the status show it. */
/** One OS interface of the modem (the SDK's ModemNetdevInfo, with the bridge's counters typed). */
export interface ModemNetdevInfo extends NetdevInfo {
  readonly stats: NetdevBridgeStats;
}

interface Attached {
  readonly port: number;
  readonly bridge: NetdevBridge;
  readonly device: NetTunDevice;
  readonly subscription: Subscription;
}

/**
 * The OS interfaces of one modem's data plane. Raw IP: an interface appears when the
 * modem OPENs a channel and goes away when it CLOSEs it (qcom_bam_dmux's netdev attach
 * and detach), MTU 1500 by default and never above 2040. QMAP: one interface per mux id,
 * MTU = lower MTU − 4 (rmnet's MAP header) − 4 more with a MAPv4/v5 checksum header.
 */
export class ModemNetdevs {
  private readonly attached = new Map<number, Attached>();
  private readonly subscriptions = new Subscription();

  constructor(
    private readonly config: NetdevConfig,
    private readonly logger: PluginLogger,
  ) {}

  /** Raw IP: follows the channels the modem opens. */
  followChannels(dmux: BamDmux): void {
    this.subscriptions.add(
      dmux.channels$.subscribe((channel) => {
        if (!channel.isLocallyOpen) void channel.open().catch((err: unknown) => this.logger.warn({ channel: channel.id, err }, 'channel OPEN failed'));
        try {
          this.attach(channel.id, channel, this.config.mtu, BAM_DMUX_MAX_MTU, channel);
        } catch (err) {
          // One interface that cannot be made leaves the others (and the daemon) running.
          this.logger.error({ component: 'netdev', channel: channel.id, err }, 'network interface not created');
        }
      }),
    );
  }

  /** QMAP: one interface per link of the mux on channel 0. */
  attachLinks(channel: BamDmuxChannel, links: ReadonlyMap<number, QmapLink>, checksumHeader: boolean): void {
    const overhead = QMAP_HEADER_OVERHEAD + (checksumHeader ? 4 : 0);
    for (const [muxId, link] of links) {
      const port: IpPacketPort = { send: (p) => link.send(p), writable$: link.writable$, readable$: link.readable$, poll: (b, h) => link.poll(b, h) };
      this.attach(muxId, port, this.config.mtu - overhead, BAM_DMUX_MAX_MTU - overhead, channel);
    }
  }

  list(): ModemNetdevInfo[] {
    return [...this.attached.values()].map((a) => ({
      interface: a.device.name,
      mode: this.config.mode,
      port: a.port,
      mtu: a.device.isClosed ? 0 : a.device.mtu,
      maxMtu: a.device.maxMtu,
      stats: a.bridge.stats(),
    }));
  }

  dispose(): void {
    this.subscriptions.unsubscribe();
    for (const port of [...this.attached.keys()]) this.detach(port);
  }

  private attach(port: number, dataPort: IpPacketPort, mtu: number, maxMtu: number, channel: BamDmuxChannel): void {
    this.detach(port);
    const device = NetTunDevice.open(this.config.name, { maxMtu });
    try {
      device.setMtu(mtu);
    } catch (err) {
      device.close();
      throw err;
    }
    const bridge = new NetdevBridge(device, dataPort, { maxPacket: maxMtu });
    const subscription = channel.closed$.subscribe(() => this.detach(port));
    this.attached.set(port, { port, bridge, device, subscription });
    this.logger.info({ component: 'netdev', interface: device.name, mode: this.config.mode, port, mtu }, 'network interface attached');
  }

  private detach(port: number): void {
    const entry = this.attached.get(port);
    if (!entry) return;
    this.attached.delete(port);
    entry.subscription.unsubscribe();
    entry.bridge.dispose();
    this.logger.info({ component: 'netdev', interface: entry.device.name, port }, 'network interface detached');
  }
}
