import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Container } from 'inversify';
import { Subject, Subscription, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import { BACKEND_CONTRIBUTION, ROUTER_OPTIONS, Router, formatBackendKey, getContributions, routerModule, type BackendContribution, type EndpointInfo } from '../router';
import { NameService, nameServiceModule, type NameServiceStats } from '../ns';
import { PluginHost } from '../host';
import { CONFIG_SECTION, LIVE_VIEW_PANE, type SimulationContext, type StatusSection } from '../sdk';
import { BACKEND_LOGGER } from '../links/tokens';
import { streamSocketBackendModule } from '../links/stream-socket';
import { localClientBackendModule } from '../services/local-client';
import { builtInLinksModule, createConfiguredLinks } from '../links';
import { captureRouter, type RouterCapture } from '../capture';
import { ConfigError, type QrtrdConfig } from './config';
import { DaemonSimulations } from './simulations';
import { collectSections, sectionChanges$, whenSectionsReady } from './status-sections';
import { KernelSocketProvider } from '../kernel/kernel-socket-provider';
import { peerCredentialsAvailable, readPeerCredentials } from '../kernel/native-loader';
import { TunBridge, openTunDevice } from '../links/tun';
import type { DropReason, EndpointIdStats } from '../router';
import { IncidentLog } from './incident-log';
import { QrtrdError } from '../common/errors';
import { installLastResort, type LastResortCounters } from './last-resort';
import { MemoryReclaimer } from './memory-reclaim';

/** start() gave up because stop() was asked for meanwhile (a signal during start): not a failure. */
export class DaemonStoppedError extends QrtrdError {
  constructor() {
    super('QRTRD_STOPPED_DURING_START', 'qrtrd was asked to stop while starting', {});
  }
}

function memory(): { rssBytes: number; heapUsedBytes: number } {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
}

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
  /** What plugins contribute: `cards`, `modem`, ... (each also a `qrtr <id>` subcommand). */
  readonly sections: readonly StatusSection[];
  readonly nameService: NameServiceStats;
  readonly plugins: readonly { name: string; state: string; faults?: number; failure?: { code: string; message: string; where: string } }[];
  /** Endpoint-ID lifecycle counters (docs/reliability.md). */
  readonly endpointIds: EndpointIdStats;
  /** Router drops by reason over the daemon's life. */
  readonly drops: Readonly<Record<DropReason, number>>;
  /** Bound ports, and errors contained at the outermost boundary (null when not installed). */
  readonly ports: number;
  readonly contained: (LastResortCounters & { readonly logLinesSuppressed: number }) | null;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Collections run after endpoints detached (`reclaimAfterDetachMs`), null when off. */
  readonly memoryReclaims: { readonly kind: string; readonly count: number; readonly failures: number; readonly lastMs: number; readonly pending: boolean } | null;
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
  private simulations: DaemonSimulations | null = null;
  private capture: RouterCapture | null = null;
  private workDir: string | null = null;
  private readonly subscriptions = new Subscription();
  private readonly sectionsChanged = new Subject<void>();
  private stopping: Promise<void> | null = null;
  /** start() in flight: stop() waits for it to reach its next step and give up. */
  private starting: Promise<void> | null = null;
  private stopRequested = false;
  /** Kernel mode (`--kernel`): where plugins and hosted QMI services open their sockets. */
  private kernelProvider: KernelSocketProvider | null = null;
  /** `--tun`: the in-process router presented to the kernel as a remote node. */
  private tunBridge: TunBridge | null = null;
  /** Queries local clients may ask (`qrtr endpoints`, `qrtr cards`). */
  private readonly queries = new Map<string, () => unknown>();
  /** Repeated incidents (NS refusals, contained errors) are logged once per peer and interval. */
  private readonly incidentLog = new IncidentLog();
  private lastResort: ReturnType<typeof installLastResort> | null = null;
  private memoryReclaimer: MemoryReclaimer | null = null;

  /** Emits whenever a contributed status section changes (the live view redraws). */
  readonly sectionsChanged$: Observable<void> = this.sectionsChanged.asObservable();

  constructor(
    readonly config: QrtrdConfig,
    private readonly logger: Logger,
  ) {
    this.container.bind(ROUTER_OPTIONS).toConstantValue({ localNode: config.node });
    this.container.bind(BACKEND_LOGGER).toConstantValue(logger.child({ component: 'backends' }));
    this.container.load(routerModule, nameServiceModule, builtInLinksModule);
    if (config.listen) this.container.load(streamSocketBackendModule({ path: config.listen }));
    if (config.socket) {
      this.container.load(localClientBackendModule({ path: config.socket, policy: config.policy, peerCredentials: peerCredentialsAvailable() ? readPeerCredentials : null, logger: logger.child({ component: 'local-clients' }), queries: this.queries }));
    }
    this.queries.set('status', () => this.status());
    // `qrtr connect`: the OS interfaces of the modem the `modem` section lists first (its rows carry them as data).
    this.queries.set('netdevs', () => {
      const modem = this.section('modem')?.rows[0]?.data as { key: string; node: number; netdevs: unknown[] } | undefined;
      return modem ? { key: modem.key, node: modem.node, netdevs: modem.netdevs } : null;
    });
    // Diagnostics for soak runs: with node --expose-gc, `gc` collects garbage so RSS figures compare turn to turn.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) this.queries.set('gc', () => (gc(), process.memoryUsage()));
    this.router = this.container.get(Router);
    this.nameService = this.container.get(NameService);
  }

  /** The plugin host, once start() has loaded the configured plugins. */
  get plugins(): PluginHost {
    if (!this.pluginHost) throw new Error('QrtrdDaemon.plugins is available after start()');
    return this.pluginHost;
  }

  /**
   * Brings every layer up. A stop() requested meanwhile makes start give up at its next step
   * with DaemonStoppedError (stop then undoes what was done).
   */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  /** Between the steps of start: give up once stop() was asked for. */
  private stillStarting(): void {
    if (this.stopRequested) throw new DaemonStoppedError();
  }

  private async doStart(): Promise<void> {
    const log = this.logger;
    // First, so a missing addon or AF_QIPCRTR fails the start before anything attaches.
    if (this.config.kernel) this.openKernel();
    this.watchRouter();
    if (this.config.reclaimAfterDetachMs > 0) {
      this.memoryReclaimer = new MemoryReclaimer(this.router.endpointEvents$, { afterDetachMs: this.config.reclaimAfterDetachMs, logger: this.logger.child({ component: 'memory' }) });
    }
    // The configured links (`links`), each built by the factory of its kind.
    for (const link of createConfiguredLinks(this.container, this.config.links, this.logger.child({ component: 'links' }))) {
      this.container.bind(BACKEND_CONTRIBUTION).toConstantValue(link);
    }
    if (this.config.capture) this.capture = captureRouter(this.router, this.config.capture);
    for (const backend of getContributions<BackendContribution>(this.container, BACKEND_CONTRIBUTION)) {
      await backend.start(this.router);
      this.backends.push(backend);
      this.stillStarting();
      log.info({ component: 'backends', kind: backend.kind }, 'backend started');
    }
    this.pluginHost = new PluginHost({
      router: this.router,
      ...(this.kernelProvider ? { provider: this.kernelProvider } : {}),
      logger: this.logger.child({ component: 'plugins' }),
      config: this.config.pluginConfig,
      parent: this.container,
    });
    this.plugins.load(this.config.plugins, PLUGIN_BASE_DIR);
    this.checkPluginConfig();
    this.simulations = new DaemonSimulations(this.plugins, this.config);
    const simulation = await this.simulationContext();
    this.stillStarting();
    this.shareDaemonKeys();
    await this.simulations.prepare(this.plugins, simulation);
    this.stillStarting();
    if (this.config.firmwareDir && this.simulations.count > 0) {
      log.info({ component: 'simulation', firmwareDir: this.config.firmwareDir, workDir: simulation.workDir }, 'simulated devices load synthetic firmware from the work directory; firmwareDir is only read, by plugins without simulated devices');
    }
    await this.plugins.startAll();
    this.stillStarting();
    this.subscriptions.add(sectionChanges$(this.plugins).subscribe(() => this.sectionsChanged.next()));
    if (this.simulations.count > 0) {
      await this.simulations.start(simulation);
      this.stillStarting();
      log.info({ component: 'simulation', devices: this.simulations.count }, 'simulated devices attached');
    }
    if (this.config.tun) await this.startTunBridge(this.config.tun);
  }

  /**
   * Makes this process's outermost boundary contain what no component caught
   * (logged, counted, still serving). For the daemon process only (src/cli/qrtrd.ts).
   */
  containUncaughtErrors(): void {
    this.lastResort ??= installLastResort(this.logger, this.incidentLog);
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
      sections: this.sections(),
      nameService: this.nameService.stats(),
      plugins: this.pluginHost?.plugins().map((p) => ({ name: p.name, state: p.state, faults: p.faults, failure: p.failure })) ?? [],
      endpointIds: this.router.endpointIds.stats(),
      drops: this.router.droppedTotals(),
      ports: this.router.portCount,
      contained: this.lastResort ? { ...this.lastResort.counters, logLinesSuppressed: this.incidentLog.suppressed } : null,
      ...memory(),
      memoryReclaims: this.memoryReclaimer
        ? { kind: this.memoryReclaimer.kind, count: this.memoryReclaimer.reclaims, failures: this.memoryReclaimer.failures, lastMs: this.memoryReclaimer.lastMs, pending: this.memoryReclaimer.pending }
        : null,
    };
  }

  /** The contributed status sections now, merged by id. */
  sections(): StatusSection[] {
    return collectSections(this.pluginHost, (plugin, err) => this.logger.error({ component: 'plugins', plugin, err }, 'status section failed'));
  }

  /** The contributed live-view panes, rendered now (a throwing pane is logged and left out). */
  panes(): { title: string; text: string }[] {
    return (this.pluginHost?.contributions(LIVE_VIEW_PANE) ?? []).flatMap(({ plugin, contribution }) => {
      try {
        return [{ title: contribution.title, text: contribution.render() }];
      } catch (err) {
        this.logger.error({ component: 'plugins', plugin, err }, 'live-view pane failed');
        return [];
      }
    });
  }

  /** One section by id (`cards`), or undefined when no loaded plugin contributes it. */
  section(id: string): StatusSection | undefined {
    return this.sections().find((s) => s.id === id);
  }

  /** Resolves when every section is ready (each configured card up), or rejects after `timeoutMs`. */
  async whenReady(timeoutMs = 30_000): Promise<void> {
    if (this.pluginHost) await whenSectionsReady(this.pluginHost, timeoutMs);
  }

  /**
   * Clean shutdown: plugins stop (their QMI handles close), simulated devices go,
   * the router sends DEL_CLIENT for every port and BYE to every endpoint, then the
   * backends close and the capture file is flushed.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    // A start in flight gives up at its next step; undo only once it has (nothing attaches after).
    this.stopRequested = true;
    await this.starting?.catch(() => undefined);
    this.subscriptions.unsubscribe();
    this.memoryReclaimer?.close();
    await this.stopTun();
    await this.pluginHost?.stopAll();
    await this.simulations?.stop();
    // The router first, while every link is still open: BYE reaches each remote peer and
    // DEL_CLIENT each local port's watchers, as the kernel does on shutdown; then the backends close.
    this.router.shutdown();
    for (const backend of this.backends.reverse()) await backend.stop();
    await this.capture?.stop();
    this.sectionsChanged.complete();
    if (this.workDir) await rm(this.workDir, { recursive: true, force: true });
    this.incidentLog.flush();
    this.lastResort?.uninstall();
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

  private async stopTun(): Promise<void> {
    await this.tunBridge?.stop();
    this.tunBridge = null;
  }

  /**
   * Every `pluginConfig` section names a loaded plugin and passes that plugin's own check,
   * before anything attaches. @throws ConfigError, or the plugin's PluginConfigError.
   */
  private checkPluginConfig(): void {
    const loaded = new Set(this.plugins.plugins().map((p) => p.name));
    for (const name of Object.keys(this.config.pluginConfig)) {
      if (!loaded.has(name)) throw new ConfigError(`pluginConfig.${name}`, `the name of a loaded plugin (${[...loaded].join(', ') || 'none loaded'})`, name, 'pluginConfig');
    }
    for (const { plugin, contribution } of this.plugins.contributions(CONFIG_SECTION)) contribution.validate(this.config.pluginConfig[plugin] ?? {});
  }

  /**
   * Daemon-wide keys a plugin's section may declare (CONFIG_SECTION keys) and leave unset: the
   * plugin gets the daemon's value, so `--firmware-dir` reaches every loader that reads firmware
   * and `cardIdentities` every loader that takes `identities`. A plugin that simulates devices
   * loads the synthetic firmware its simulation wrote under the daemon's own work directory,
   * not `--firmware-dir`: that directory is the user's and is only ever read.
   */
  private shareDaemonKeys(): void {
    const shared: Record<string, unknown> = {};
    if (this.config.firmwareDir) shared.firmwareDir = this.config.firmwareDir;
    if (this.config.cardIdentities.length > 0) shared.identities = this.config.cardIdentities;
    const simulating = this.simulations?.simulatingPlugins ?? new Set<string>();
    for (const { plugin, contribution } of this.plugins.contributions(CONFIG_SECTION)) {
      const section = { ...this.plugins.configOf(plugin) };
      for (const [key, value] of Object.entries(shared)) {
        if (key === 'firmwareDir' && simulating.has(plugin)) continue;
        if (key in contribution.keys && section[key] === undefined) section[key] = value;
      }
      this.plugins.configure(plugin, section);
    }
  }

  private async simulationContext(): Promise<SimulationContext> {
    this.workDir ??= await mkdtemp(join(tmpdir(), 'qrtrd-'));
    return {
      router: this.router,
      kernelProvider: this.kernelProvider,
      workDir: this.workDir,
      firmwareDir: null,
      logger: this.logger.child({ component: 'simulation' }),
    };
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
      this.nameService.incidents$.subscribe((i) =>
        this.incidentLog.report(`ns:${i.endpoint}:${i.from.node}:${i.command}:${i.error.code}`, ({ count, summary }) =>
          nsLog.warn(
            { endpoint: i.endpoint, from: i.from, code: i.error.code, count },
            summary ? `${count} more ${i.command} from node ${i.from.node} refused (${i.error.code}) in the last interval` : `${i.command} refused: ${i.error.message}`,
          ),
        ),
      ),
    );
  }
}
