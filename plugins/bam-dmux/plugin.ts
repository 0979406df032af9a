import { ContainerModule, injectable, type interfaces } from 'inversify';
import { BehaviorSubject, type Observable } from 'rxjs';
import {
  CONFIG_SECTION,
  PLUGIN_LIFECYCLE,
  PluginConfigError,
  SIMULATION,
  STATUS_SECTION,
  type EndpointReservation,
  type Plugin,
  type PluginContext,
  type PluginLifecycle,
  checkConfig,
  configInt,
  configString,
  z,
} from '../../src/sdk';
import { SimulatedModems, createSimulatedModem, type SimulatedModem, type SimulatedModemStats } from './sim';

/** One modem whose data plane the plugin runs. */
export interface BamDmuxModemConfig {
  /** rpmsg device the modem's QMI traffic arrives on: the data plane binds to `rpmsg:<device>`'s endpoint ID. */
  readonly rpmsgDevice: string;
  /**
   * The BAM transport. Only `simulated` exists: the kernel's qcom_bam_dmux owns the
   * real BAM pipes and power bits and gives userspace no interface to them (docs/dataplane.md).
   */
  readonly transport: 'simulated';
  readonly muxIds?: readonly number[];
}

export interface BamDmuxModemStatus {
  readonly key: string;
  readonly endpoint: number;
  readonly stats: SimulatedModemStats;
}

export const BAM_DMUX_LIFECYCLE: interfaces.ServiceIdentifier<BamDmuxLifecycle> = Symbol.for('qrtrd.BamDmuxLifecycle');

function parseModems(config: Readonly<Record<string, unknown>>): BamDmuxModemConfig[] {
  const modems = config.modems ?? [];
  if (!Array.isArray(modems)) throw new PluginConfigError('bam-dmux', 'modems', 'an array of {rpmsgDevice, transport}', modems);
  return modems.map((m: Record<string, unknown>, i) => {
    if (typeof m?.rpmsgDevice !== 'string' || !m.rpmsgDevice) throw new PluginConfigError('bam-dmux', `modems[${i}].rpmsgDevice`, 'an rpmsg device name', m?.rpmsgDevice);
    if (m.transport !== 'simulated') throw new PluginConfigError('bam-dmux', `modems[${i}].transport`, "'simulated' (no userspace BAM transport exists)", m.transport);
    const muxIds = m.muxIds ?? [1];
    if (!Array.isArray(muxIds) || muxIds.some((x) => !Number.isInteger(x) || x < 0 || x > 254)) throw new PluginConfigError('bam-dmux', `modems[${i}].muxIds`, 'mux ids 0..254', muxIds);
    return { rpmsgDevice: m.rpmsgDevice, transport: 'simulated', muxIds };
  });
}

/**
 * The BAM-DMUX plugin: a data plane (channels, QMAP mux) per configured modem,
 * bound to the endpoint ID reserved for the modem's rpmsg backend key, so that
 * one modem's data and its QMI control share one endpoint and never mix with
 * another modem's.
 */
@injectable()
export class BamDmuxLifecycle implements PluginLifecycle {
  private readonly running = new Map<string, { modem: SimulatedModem; reservation: EndpointReservation }>();
  private readonly statusSubject = new BehaviorSubject<readonly BamDmuxModemStatus[]>([]);
  private started = false;
  readonly status$: Observable<readonly BamDmuxModemStatus[]> = this.statusSubject.asObservable();

  async start(context: PluginContext): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const config of parseModems(context.config)) {
      const key = { kind: 'rpmsg', key: config.rpmsgDevice };
      const reservation = context.router.reserveEndpoint(key);
      const modem = createSimulatedModem({ backendKey: { kind: 'rpmsg', key: config.rpmsgDevice }, endpointId: reservation.id, qmap: { muxIds: [...(config.muxIds ?? [1])] } });
      this.running.set(`rpmsg:${config.rpmsgDevice}`, { modem, reservation });
      await modem.ready;
      context.logger.info({ key: `rpmsg:${config.rpmsgDevice}`, endpoint: reservation.id }, 'BAM-DMUX data plane up');
    }
    this.publish();
  }

  snapshot(): BamDmuxModemStatus[] {
    return [...this.running.entries()].map(([key, { modem, reservation }]) => ({ key, endpoint: reservation.id, stats: modem.stats() }));
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const { modem, reservation } of this.running.values()) {
      modem.dispose();
      reservation.release();
    }
    this.running.clear();
    this.publish();
  }

  onEndpointAttached(): void {
    this.publish();
  }

  onEndpointDetached(): void {
    this.publish();
  }

  private publish(): void {
    this.statusSubject.next(this.snapshot());
  }
}

/** `pluginConfig.bam-dmux`: the modems whose data plane to run (the simulation fills it in for the simulated modem). */
export const bamDmuxConfigSchema = z.strictObject({
  modems: z
    .array(
      z.strictObject({
        rpmsgDevice: configString('an rpmsg device name'),
        transport: z.literal('simulated', { error: "'simulated' (no userspace BAM transport exists)" }),
        muxIds: z.array(configInt(0, 254, 'mux ids 0..254'), { error: 'mux ids 0..254' }).optional(),
      }),
      { error: 'an array of {rpmsgDevice, transport}' },
    )
    .optional()
    .meta({ description: 'the modems whose data plane to run: [{ rpmsgDevice, transport: "simulated", muxIds? }]; default: the simulated modem' }),
});

export const plugin: Plugin = {
  manifest: {
    name: 'bam-dmux',
    version: '0.1.0',
    description: 'BAM-DMUX data plane and QMAP (rmnet) mux, one per modem, bound to the modem endpoint',
    qmiServices: [],
    backendKeys: ['rpmsg:*'],
  },
  module: new ContainerModule((bind) => {
    bind(BamDmuxLifecycle).toSelf().inSingletonScope();
    bind(PLUGIN_LIFECYCLE).toService(BamDmuxLifecycle);
    bind(BAM_DMUX_LIFECYCLE).toService(BamDmuxLifecycle);
    bind(SimulatedModems).toSelf().inSingletonScope();
    bind(SIMULATION).toService(SimulatedModems);
    bind(STATUS_SECTION).toService(SimulatedModems);
    bind(CONFIG_SECTION).toConstantValue({
      schema: bamDmuxConfigSchema,
      keys: { modems: 'the modems whose data plane to run: [{ rpmsgDevice, transport: "simulated", muxIds? }]' },
      validate: (section: Readonly<Record<string, unknown>>) => {
        const checked = checkConfig(bamDmuxConfigSchema, section);
        if (checked.issue) {
          const { key, expected, actual, suggestion } = checked.issue;
          throw new PluginConfigError('bam-dmux', key, suggestion ? `${expected} (did you mean '${suggestion}'?)` : expected, actual);
        }
        parseModems(section);
      },
    });
  }),
};
