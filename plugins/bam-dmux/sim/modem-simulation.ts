import { injectable } from 'inversify';
import { Subject } from 'rxjs';
import {
  PluginConfigError,
  type QmiService,
  type SimulatedDeviceSpec,
  type SimulationContext,
  type SimulationContribution,
  type SimulationHandle,
  type StatusRow,
  type StatusSectionContribution,
} from '../../../src/sdk';
import type { NetdevConfig } from '../../../src/sdk';
import { assertNetdevCapability } from './modem-netdevs';
import { SimulatedModemDevice, startSimulatedDms, type SimulatedModemConfig, type SimulatedModemStatus } from './simulated-modem-device';

/** The daemon passes its `netdev` section with the modem's spec (OS interfaces for the data plane). */
function netdevOf(device: SimulatedDeviceSpec): NetdevConfig | null {
  return (device.spec.netdev as NetdevConfig | null | undefined) ?? null;
}

/** The columns of the modem section: endpoint, power, channels and data-plane counters. */
const MODEM_HEADERS = ['ENDPOINT', 'KEY', 'NODE', 'POWER', 'CHANNELS', 'RX PACKETS', 'RX KIB', 'TX PACKETS', 'CONSUMED', 'DROPPED'];

function sum(values: Readonly<Record<string, number>> | undefined): number {
  return Object.values(values ?? {}).reduce((a, b) => a + b, 0);
}

/** A modem's status as a row of the `modem` section. */
export function modemStatusRow(m: SimulatedModemStatus): StatusRow {
  const dmux = m.stats.dmux;
  const dropped = sum(dmux.drops as Record<string, number>) + sum(m.stats.qmap?.drops as Record<string, number> | undefined);
  return {
    key: m.key,
    order: m.endpoint,
    state: dmux.power.state,
    cells: [
      String(m.endpoint),
      m.key,
      String(m.node),
      dmux.power.state,
      dmux.openChannels.join(',') || '-',
      String(dmux.rxPackets),
      String(Math.round(dmux.rxBytes / 1024)),
      String(dmux.txPackets),
      String(m.packetsReceived),
      String(dropped),
    ],
    data: m,
  };
}

/**
 * The daemon's simulated modem (`simulation.modem`, kind `modem`): a device router with DMS
 * behind an rpmsg link and a BAM-DMUX/QMAP data plane; in kernel mode its DMS is also
 * registered with the kernel's name service. Its counters are the `modem` status section.
 */
@injectable()
export class SimulatedModems implements SimulationContribution, StatusSectionContribution {
  readonly kind = 'modem';
  readonly id = 'modem';
  readonly title = 'Modem data plane (BAM-DMUX + QMAP)';
  readonly headers = MODEM_HEADERS;
  readonly summary = 'the simulated modem: endpoint, power, channels, data-plane counters';
  readonly empty = 'No simulated modem (simulation.modem is null)';
  private readonly running = new Set<SimulatedModemDevice>();
  private readonly changes = new Subject<void>();
  readonly changed$ = this.changes.asObservable();

  validate(spec: Readonly<Record<string, unknown>>, at: string): void {
    if (typeof spec.rpmsgDevice !== 'string' || !spec.rpmsgDevice) throw new PluginConfigError('bam-dmux', `${at}.rpmsgDevice`, 'a device name', spec.rpmsgDevice);
  }

  /** With `netdev`, fails the start before anything attaches when the process may not create interfaces. */
  prepare(devices: readonly SimulatedDeviceSpec[]): Record<string, unknown> {
    if (devices.some((d) => netdevOf(d))) assertNetdevCapability();
    return {};
  }

  async start(devices: readonly SimulatedDeviceSpec[], context: SimulationContext): Promise<SimulationHandle> {
    const modems: SimulatedModemDevice[] = [];
    const kernelServices: QmiService[] = [];
    for (const device of devices) {
      const modem = await SimulatedModemDevice.start(context.router, device.spec as unknown as SimulatedModemConfig, netdevOf(device), context.logger.child({ component: 'modem' }));
      modems.push(modem);
      this.running.add(modem);
      if (context.kernelProvider) {
        kernelServices.push(await startSimulatedDms(context.kernelProvider, 'simulated DMS (kernel)'));
        context.logger.info({ service: 'dms' }, 'simulated DMS registered with the kernel');
      }
    }
    this.changes.next();
    return {
      stop: async () => {
        for (const service of kernelServices) service.close();
        for (const modem of modems) {
          this.running.delete(modem);
          await modem.stop();
        }
        this.changes.next();
      },
    };
  }

  rows(): StatusRow[] {
    return [...this.running].map((m) => modemStatusRow(m.status()));
  }
}
