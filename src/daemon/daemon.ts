import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Container } from 'inversify';
import { BehaviorSubject, Subscription, combineLatest, map, of, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import { BACKEND_CONTRIBUTION, ROUTER_OPTIONS, Router, formatBackendKey, getContributions, routerModule, type BackendContribution, type EndpointInfo } from '../router';
import { NameService, nameServiceModule, type NameServiceStats } from '../ns';
import { qmiModule } from '../qmi';
import { PluginHost } from '../sdk';
import { BACKEND_LOGGER } from '../backends/tokens';
import { streamSocketBackendModule } from '../backends/stream-socket';
import { localClientBackendModule } from '../backends/local-client';
import { captureRouter, type RouterCapture } from '../capture';
import * as ath11k from '../../plugins/ath11k';
import * as ath12k from '../../plugins/ath12k';
import type { SimulatedCard } from '../../plugins/wlfw/sim/simulated-card';
import type { WlfwCardStatus } from '../../plugins/wlfw/src';
import type { QrtrdConfig, SimulatedCardConfig } from './config';
import { SIMULATED_MODEM_IDENTITY, SimulatedModemDevice, type SimulatedModemStatus } from './simulated-modem';
import { KernelSocketProvider } from '../kernel/kernel-socket-provider';
import { TunBridge, openTunDevice } from '../backends/tun';
import { QmiService, dms } from '../qmi';

/** The directory plugin specifiers such as `plugins/ath11k` are resolved against: the build root. */
export const PLUGIN_BASE_DIR = resolve(__dirname, '..', '..');

export interface ReservationInfo {
  readonly id: number;
  readonly key: string;
  readonly attached: boolean;
  readonly owners: Readonly<Record<string, number>>;
}

/** Everything `qrtr endpoints`, `qrtr cards` and the console view show. */
export interface DaemonStatus {
  readonly node: number;
  readonly endpoints: readonly EndpointInfo[];
  readonly reservations: readonly ReservationInfo[];
  readonly cards: readonly WlfwCardStatus[];
  readonly modem: SimulatedModemStatus | null;
  readonly nameService: NameServiceStats;
  readonly plugins: readonly { name: string; state: string }[];
}

/**
 * The composition root of the qrtrd daemon: binds every layer's module, the
 * backends the configuration asks for, loads plugins named in configuration,
 * and (by default) attaches the embedded simulated cards and modem.
 */
export class QrtrdDaemon {
  readonly container = new Container();
  readonly router: Router;
  readonly nameService: NameService;
  private pluginHost: PluginHost | null = null;
  private readonly backends: BackendContribution[] = [];
  private readonly simulatedCards: SimulatedCard[] = [];
  private modem: SimulatedModemDevice | null = null;
  private capture: RouterCapture | null = null;
  private temporaryFirmwareDir: string | null = null;
  private readonly subscriptions = new Subscription();
  private readonly cardsSubject = new BehaviorSubject<readonly WlfwCardStatus[]>([]);
  private stopping: Promise<void> | null = null;
  /** Kernel mode (`--kernel`): where plugins and hosted QMI services open their sockets. */
  private kernelProvider: KernelSocketProvider | null = null;
  private kernelServices: QmiService[] = [];
  /** `--tun`: the in-process router presented to the kernel as a remote node. */
  private tunBridge: TunBridge | null = null;
  /** Queries local clients may ask (`qrtr endpoints`, `qrtr cards`). */
  private readonly queries = new Map<string, () => unknown>();

  /** Every card's status, whenever one changes. */
  readonly cards$: Observable<readonly WlfwCardStatus[]> = this.cardsSubject.asObservable();

  constructor(
    readonly config: QrtrdConfig,
    private readonly logger: Logger,
  ) {
    this.container.bind(ROUTER_OPTIONS).toConstantValue({ localNode: config.node });
    this.container.bind(BACKEND_LOGGER).toConstantValue(logger.child({ component: 'backends' }));
    this.container.load(routerModule, nameServiceModule, qmiModule);
    if (config.listen) this.container.load(streamSocketBackendModule({ path: config.listen }));
    if (config.socket) {
      this.container.load(localClientBackendModule({ path: config.socket, logger: logger.child({ component: 'local-clients' }), queries: this.queries }));
    }
    this.queries.set('status', () => this.status());
    this.router = this.container.get(Router);
    this.nameService = this.container.get(NameService);
  }

  /** The plugin host, once start() has loaded the configured plugins. */
  get plugins(): PluginHost {
    if (!this.pluginHost) throw new Error('QrtrdDaemon.plugins is available after start()');
    return this.pluginHost;
  }

  async start(): Promise<void> {
    const log = this.logger;
    // First, so a missing addon or AF_QIPCRTR fails the start before anything attaches.
    if (this.config.kernel) this.openKernel();
    this.watchRouter();
    if (this.config.capture) this.capture = captureRouter(this.router, this.config.capture);
    for (const backend of getContributions<BackendContribution>(this.container, BACKEND_CONTRIBUTION)) {
      await backend.start(this.router);
      this.backends.push(backend);
      log.info({ component: 'backends', kind: backend.kind }, 'backend started');
    }
    const simulation = this.config.simulation;
    let firmwareDir = this.config.firmwareDir;
    if (simulation.enabled && simulation.cards.length > 0) firmwareDir = await this.prepareFirmware(simulation.cards);
    this.pluginHost = new PluginHost({
      router: this.router,
      ...(this.kernelProvider ? { provider: this.kernelProvider } : { nameService: this.nameService }),
      logger: this.logger.child({ component: 'plugins' }),
      config: this.pluginConfig(firmwareDir),
      parent: this.container,
    });
    this.plugins.load(this.config.plugins, PLUGIN_BASE_DIR);
    await this.plugins.startAll();
    this.watchCards();
    if (simulation.enabled) {
      for (const spec of simulation.cards) {
        const create = spec.family === 'ath11k' ? ath11k.createSimulatedCard : ath12k.createSimulatedCard;
        const card = create({ chip: spec.chip, pciAddress: spec.pciAddress, boardId: spec.boardId });
        card.attach(this.router);
        card.powerOn();
        this.simulatedCards.push(card);
      }
      if (simulation.modem) this.modem = await SimulatedModemDevice.start(this.router, simulation.modem);
      log.info({ component: 'simulation', cards: simulation.cards.length, modem: Boolean(simulation.modem) }, 'simulated devices attached');
    }
    if (this.kernelProvider) await this.startKernelServices();
    if (this.config.tun) await this.startTunBridge(this.config.tun);
  }

  status(): DaemonStatus {
    return {
      node: this.router.localNode,
      endpoints: this.router.endpoints(),
      reservations: this.router.endpointIds.entries().map((e) => ({
        id: e.id,
        key: formatBackendKey(e.key),
        attached: e.attached,
        owners: Object.fromEntries(e.reservations),
      })),
      cards: this.cardsSubject.value,
      modem: this.modem?.status() ?? null,
      nameService: this.nameService.stats(),
      plugins: this.pluginHost?.plugins().map((p) => ({ name: p.name, state: p.state })) ?? [],
    };
  }

  /** Resolves when every configured simulated card is ready (or rejects after `timeoutMs`). */
  async whenCardsReady(timeoutMs = 30_000): Promise<readonly WlfwCardStatus[]> {
    const waits = this.loaders().map(({ loader, family }) =>
      loader.whenReady(
        this.config.simulation.cards.filter((c) => c.family === family).map((c) => `mhi:${c.pciAddress}`),
        timeoutMs,
      ),
    );
    await Promise.all(waits);
    return this.cardsSubject.value;
  }

  /**
   * Clean shutdown: plugins stop (their QMI handles close), simulated devices go,
   * backends close, the router sends DEL_CLIENT for every port and BYE to every
   * endpoint, the capture file is flushed.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.subscriptions.unsubscribe();
    await this.stopKernelAndTun();
    await this.pluginHost?.stopAll();
    for (const card of this.simulatedCards) card.detach();
    await this.modem?.stop();
    for (const backend of this.backends.reverse()) await backend.stop();
    this.router.shutdown();
    await this.capture?.stop();
    this.cardsSubject.complete();
    if (this.temporaryFirmwareDir) await rm(this.temporaryFirmwareDir, { recursive: true, force: true });
  }

  /**
   * Kernel mode: plugins' handles and the services qrtrd hosts use the kernel's
   * AF_QIPCRTR sockets. Throws KernelBackendUnavailableError (no addon) or
   * KernelQrtrUnsupportedError (no QRTR in this kernel), each saying what to do.
   */
  private openKernel(): void {
    this.kernelProvider = KernelSocketProvider.open();
    this.logger.info({ component: 'kernel', node: this.kernelProvider.localNode }, 'kernel mode: AF_QIPCRTR sockets');
  }

  /** The simulated modem's DMS, registered with the kernel's name service on the kernel's node. */
  private async startKernelServices(): Promise<void> {
    const provider = this.kernelProvider!;
    if (!this.config.simulation.enabled || !this.config.simulation.modem) return;
    const id = SIMULATED_MODEM_IDENTITY;
    const service = await QmiService.start(provider, { service: dms.DMS_SERVICE_ID, version: 1, instance: 0, name: 'simulated DMS (kernel)' }, (s) =>
      s
        .handle(dms.dms_get_manufacturer_req, dms.dms_get_manufacturer_resp, () => ({ manufacturer: id.manufacturer }))
        .handle(dms.dms_get_model_req, dms.dms_get_model_resp, () => ({ model: id.model }))
        .handle(dms.dms_get_revision_req, dms.dms_get_revision_resp, () => ({ revision: id.revision }))
        .handle(dms.dms_get_ids_req, dms.dms_get_ids_resp, () => ({ esn: id.esn, imei: id.imei, meid: id.meid })),
    );
    this.kernelServices.push(service);
    this.logger.info({ component: 'kernel', service: dms.DMS_SERVICE_ID, node: provider.localNode }, 'simulated DMS registered with the kernel');
  }

  private async startTunBridge(path: string): Promise<void> {
    const logger = this.logger.child({ component: 'tun' });
    const { device, backendKey } = await openTunDevice(path, logger);
    this.tunBridge = new TunBridge({
      router: this.router,
      nameService: this.nameService,
      device,
      backendKey,
      logger,
      bridgeNode: this.config.tunBridgeNode,
      nodeRange: this.config.tunNodeRange,
    });
    this.tunBridge.start();
    logger.info({ device: path, key: backendKey.key, bridgeNode: this.tunBridge.bridgeNode }, 'bridged into the kernel through qrtr-tun');
  }

  private async stopKernelAndTun(): Promise<void> {
    for (const service of this.kernelServices.splice(0)) service.close();
    await this.tunBridge?.stop();
    this.tunBridge = null;
  }

  private pluginConfig(firmwareDir: string | null): Record<string, Record<string, unknown>> {
    const config: Record<string, Record<string, unknown>> = {};
    for (const [name, section] of Object.entries(this.config.pluginConfig)) config[name] = { ...section };
    const sim = this.config.simulation;
    for (const family of ['ath11k', 'ath12k'] as const) {
      const section = (config[family] ??= {});
      if (firmwareDir && section.firmwareDir === undefined) section.firmwareDir = firmwareDir;
      if (section.identities === undefined && this.config.cardIdentities.length > 0) section.identities = this.config.cardIdentities;
      // Kernel mode: the router's endpoint IDs mean nothing to the kernel; plugins find cards by lookup.
      if (sim.enabled && section.cards === undefined && !this.kernelProvider) {
        // Reserve each simulated card's endpoint before it attaches: the no-race path.
        section.cards = sim.cards.filter((c) => c.family === family).map((c) => `mhi:${c.pciAddress}`);
      }
    }
    return config;
  }

  /** Writes synthetic firmware for the simulated cards; a temporary directory unless one is configured. */
  private async prepareFirmware(cards: readonly SimulatedCardConfig[]): Promise<string> {
    let dir = this.config.firmwareDir;
    if (!dir) dir = this.temporaryFirmwareDir = await mkdtemp(join(tmpdir(), 'qrtrd-firmware-'));
    await ath11k.writeSimulatedFirmwareDir(dir, cards.filter((c) => c.family === 'ath11k'));
    await ath12k.writeSimulatedFirmwareDir(dir, cards.filter((c) => c.family === 'ath12k'));
    this.logger.info({ component: 'simulation', firmwareDir: dir }, 'synthetic firmware written for simulated cards');
    return dir;
  }

  private loaders(): { family: 'ath11k' | 'ath12k'; loader: ath11k.WlfwLoader }[] {
    const out: { family: 'ath11k' | 'ath12k'; loader: ath11k.WlfwLoader }[] = [];
    for (const { name } of this.pluginHost?.plugins() ?? []) {
      const container = this.pluginHost!.containerOf(name);
      if (!container.isBound(ath11k.WLFW_LOADER_LIFECYCLE)) continue;
      const loader = container.get<ath11k.WlfwLoaderLifecycle>(ath11k.WLFW_LOADER_LIFECYCLE).loader;
      if (loader) out.push({ family: name as 'ath11k' | 'ath12k', loader });
    }
    return out;
  }

  private watchCards(): void {
    const loaders = this.loaders();
    const all$ = loaders.length === 0 ? of([] as WlfwCardStatus[][]) : combineLatest(loaders.map((l) => l.loader.cards$));
    this.subscriptions.add(all$.pipe(map((lists) => lists.flat().sort((a, b) => a.endpoint - b.endpoint))).subscribe((cards) => this.cardsSubject.next(cards)));
  }

  private watchRouter(): void {
    const log = this.logger.child({ component: 'router' });
    const nsLog = this.logger.child({ component: 'ns' });
    this.subscriptions.add(
      this.router.endpointEvents$.subscribe((e) => log.info({ endpoint: e.id, key: formatBackendKey(e.key) }, `endpoint ${e.type}`)),
    );
    this.subscriptions.add(
      this.router.drops$.subscribe((d) => log.debug({ endpoint: d.endpoint, reason: d.reason, code: d.error?.code, error: d.error?.message }, 'packet dropped')),
    );
    this.subscriptions.add(
      this.nameService.incidents$.subscribe((i) => nsLog.warn({ endpoint: i.endpoint, from: i.from, code: i.error.code }, `${i.command} refused: ${i.error.message}`)),
    );
  }
}
