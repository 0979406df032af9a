import * as path from 'node:path';
import { Container, type interfaces } from 'inversify';
import { Observable, type Subscription } from 'rxjs';
import { ContainedFailureError, containSubscribers, errorCodeOf } from '../common/containment';
import { containQmiClient } from './contained-handles';
import type { BackendKey } from '../router/endpoint';
import type { EndpointReservation, ReserveOptions } from '../router/endpoint-ids';
import type { EndpointEvent, Router } from '../router/router';
import type { QrtrSocketProvider } from '../router/socket';
import { watchServers$ } from '../ns/ns-client';
import { QmiClient } from '../qmi/client';
import { QmiService } from '../qmi/service';
import { PluginDuplicateError, PluginError, PluginLoadError, PluginNotFoundError, PluginStartError, PluginStoppedError } from '../sdk/errors';
import type { PluginLogger } from '../sdk/logger';
import { silentLogger } from './loggers';
import { isPlugin, validateManifest } from '../sdk/manifest';
import {
  PLUGIN_CONTEXT,
  PLUGIN_LIFECYCLE,
  backendKeyMatches,
  type Plugin,
  type PluginContext,
  type PluginEndpoint,
  type PluginLifecycle,
} from '../sdk/plugin';

export interface PluginHostOptions {
  readonly router: Router;
  /** Where QMI handles open sockets (default: the router). */
  readonly provider?: QrtrSocketProvider;
  readonly logger?: PluginLogger;
  /** Per-plugin configuration sections, by plugin name. */
  readonly config?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Parent container plugins may resolve shared services from. */
  readonly parent?: interfaces.Container;
  /**
   * Errors a started plugin may throw from hooks and subscribers (each logged with
   * its code) before it is marked failed and stopped (default {@link DEFAULT_PLUGIN_FAULT_LIMIT}).
   */
  readonly faultLimit?: number;
}

export const DEFAULT_PLUGIN_FAULT_LIMIT = 10;

/** Resources a plugin still held after its stop() returned (then released by the host). */
export interface PluginLeaks {
  readonly reservations: number;
  readonly clients: number;
  readonly services: number;
}

export type PluginState = 'loaded' | 'starting' | 'started' | 'stopping' | 'stopped' | 'failed';

export interface PluginStatus {
  readonly name: string;
  readonly version: string;
  readonly state: PluginState;
  /** Errors its hooks and subscribers threw since it was last started. */
  readonly faults: number;
  /** Why the plugin is `failed`: what threw, and where (start, a hook, a subscriber). */
  readonly failure?: { readonly code: string; readonly message: string; readonly where: string };
}

interface Loaded {
  readonly plugin: Plugin;
  readonly container: Container;
  readonly lifecycle: PluginLifecycle;
  state: PluginState;
  session: Session | undefined;
  lastLeaks: PluginLeaks;
  failure: PluginStatus['failure'];
  /** Errors contained since the last start. */
  faults: number;
}

/** Per start(): the context and everything taken through it. */
interface Session {
  readonly context: PluginContext;
  readonly abort: AbortController;
  readonly reservations: Set<EndpointReservation>;
  readonly clients: Set<QmiClient>;
  readonly services: Set<QmiService>;
  stopped: boolean;
  events: Subscription | undefined;
}

/**
 * Loads plugins named in configuration (module paths resolved at run time, each
 * exporting `plugin`), gives each a child container and a {@link PluginContext},
 * starts and stops them, and forwards endpoint events to their hooks. Core code
 * never names a plugin.
 */
export class PluginHost {
  private readonly loaded = new Map<string, Loaded>();
  private readonly sections = new Map<string, Readonly<Record<string, unknown>>>();
  private readonly logger: PluginLogger;
  private readonly provider: QrtrSocketProvider;

  constructor(private readonly options: PluginHostOptions) {
    this.logger = options.logger ?? silentLogger();
    this.provider = options.provider ?? options.router;
  }

  /**
   * Requires a plugin module: `specifier` is a path (absolute, or relative to
   * `baseDir`) or a package name; its export `plugin` must be a {@link Plugin}.
   * @throws PluginLoadError naming the attempted paths.
   */
  static resolvePlugin(specifier: string, baseDir: string = process.cwd()): Plugin {
    const candidates = specifier.startsWith('.') || path.isAbsolute(specifier) ? [path.resolve(baseDir, specifier)] : [path.resolve(baseDir, specifier), specifier];
    const attempted: string[] = [];
    for (const candidate of candidates) {
      let resolved: string;
      try {
        resolved = require.resolve(candidate);
      } catch {
        attempted.push(candidate);
        continue;
      }
      attempted.push(resolved);
      let exports: { plugin?: unknown };
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        exports = require(resolved) as { plugin?: unknown };
      } catch (err) {
        throw new PluginLoadError(specifier, `requiring ${resolved} threw: ${(err as Error).message}`, attempted, err);
      }
      if (!isPlugin(exports.plugin)) throw new PluginLoadError(specifier, `${resolved} does not export \`plugin\``, attempted);
      return exports.plugin;
    }
    throw new PluginLoadError(specifier, 'module not found', attempted);
  }

  /** Resolves and adds every configured plugin, in order. */
  load(specifiers: readonly string[], baseDir?: string): Plugin[] {
    return specifiers.map((s) => {
      const plugin = PluginHost.resolvePlugin(s, baseDir);
      this.add(plugin);
      return plugin;
    });
  }

  /**
   * Adds a plugin object. Validates its manifest and builds its child container.
   * @throws PluginManifestError, PluginDuplicateError
   */
  add(plugin: Plugin): void {
    validateManifest(plugin.manifest);
    const name = plugin.manifest.name;
    if (this.loaded.has(name)) throw new PluginDuplicateError(name);
    const container = new Container({ defaultScope: 'Singleton' });
    if (this.options.parent) container.parent = this.options.parent;
    // The context is created per start; plugins resolve it lazily through this getter.
    container.bind(PLUGIN_CONTEXT).toDynamicValue(() => {
      const session = this.loaded.get(name)?.session;
      if (!session) throw new PluginStoppedError(name, 'resolving the plugin context');
      return session.context;
    }).inTransientScope();
    container.load(plugin.module);
    if (!container.isBound(PLUGIN_LIFECYCLE)) {
      throw new PluginLoadError(name, 'its module binds no PLUGIN_LIFECYCLE', [name]);
    }
    const lifecycle = container.get<PluginLifecycle>(PLUGIN_LIFECYCLE);
    this.loaded.set(name, { plugin, container, lifecycle, state: 'loaded', session: undefined, lastLeaks: { reservations: 0, clients: 0, services: 0 }, failure: undefined, faults: 0 });
  }

  /**
   * Every implementation bound to a contribution point (STATUS_SECTION, SIMULATION, ...) by the
   * loaded plugins, in load order, each with the name of the plugin that contributed it.
   */
  contributions<T>(token: interfaces.ServiceIdentifier<T>): { readonly plugin: string; readonly contribution: T }[] {
    const out: { plugin: string; contribution: T }[] = [];
    for (const [plugin, entry] of this.loaded) {
      if (!entry.container.isCurrentBound(token)) continue;
      for (const contribution of entry.container.getAll(token)) out.push({ plugin, contribution });
    }
    return out;
  }

  /** Sets a plugin's configuration section for its next start (over the constructor's `config`). */
  configure(name: string, section: Readonly<Record<string, unknown>>): void {
    this.sections.set(name, section);
  }

  /** The section a plugin's next start gets. */
  configOf(name: string): Readonly<Record<string, unknown>> {
    return this.sections.get(name) ?? this.options.config?.[name] ?? {};
  }

  plugins(): PluginStatus[] {
    return [...this.loaded.values()].map((l) => ({
      name: l.plugin.manifest.name,
      version: l.plugin.manifest.version,
      state: l.state,
      faults: l.faults,
      ...(l.failure ? { failure: l.failure } : {}),
    }));
  }

  /** The manifest a plugin was added with. */
  manifestOf(name: string): Plugin['manifest'] {
    return this.get(name).plugin.manifest;
  }

  /** The plugin's child container, to resolve services it exposes (status views). */
  containerOf(name: string): interfaces.Container {
    return this.get(name).container;
  }

  /** Resources left over by the plugin's last stop. */
  leaksOf(name: string): PluginLeaks {
    return this.get(name).lastLeaks;
  }

  /** Starts one plugin (idempotent). On failure the plugin is stopped and PluginStartError thrown. */
  async start(name: string): Promise<void> {
    const entry = this.get(name);
    if (entry.state === 'started' || entry.state === 'starting') return;
    const session = this.openSession(entry);
    entry.session = session;
    entry.state = 'starting';
    entry.failure = undefined;
    entry.faults = 0;
    try {
      await entry.lifecycle.start(session.context);
    } catch (err) {
      await this.closeSession(entry).catch(() => undefined);
      entry.state = 'failed';
      entry.failure = { code: errorCodeOf(err), message: (err as Error)?.message ?? String(err), where: 'start' };
      throw err instanceof PluginError ? err : new PluginStartError(name, err);
    }
    if (entry.state !== 'starting') return; // it failed (and was stopped) while starting
    entry.state = 'started';
    this.forwardEndpointEvents(entry, session);
  }

  async startAll(): Promise<void> {
    for (const name of this.loaded.keys()) await this.start(name);
  }

  /**
   * The containment boundary of one plugin: something it runs threw (a hook, a
   * subscriber of the name service or the router). The error is logged with the
   * plugin and its code and counted; past the fault limit the plugin is marked
   * failed and stopped (its sockets, handles and reservations released). Routing,
   * the name service and the other plugins go on either way. Restart it with {@link start}.
   */
  private contain(entry: Loaded, where: string, err: unknown): void {
    // Once failed, throws of events already in flight are not news.
    if (entry.state !== 'started' && entry.state !== 'starting') return;
    const name = entry.plugin.manifest.name;
    const failure = new ContainedFailureError('plugin', name, err);
    const limit = this.options.faultLimit ?? DEFAULT_PLUGIN_FAULT_LIMIT;
    entry.faults++;
    const code = errorCodeOf(err);
    if (entry.faults < limit) {
      this.logger.error({ component: 'plugins', plugin: name, where, code, faults: entry.faults, limit, err }, `${failure.message} (contained)`);
      return;
    }
    this.logger.error({ component: 'plugins', plugin: name, where, code, faults: entry.faults, limit, err }, `${failure.message}; fault limit reached, plugin stopped (state 'failed')`);
    entry.failure = { code, message: failure.message, where };
    entry.state = 'failed';
    void this.closeSession(entry).then(
      () => undefined,
      (closeErr: unknown) => this.logger.error({ plugin: name, err: closeErr }, 'releasing a failed plugin failed'),
    );
  }

  /** Stops one plugin (idempotent) and returns what it leaked, which the host then released. */
  async stop(name: string): Promise<PluginLeaks> {
    const entry = this.get(name);
    if (!entry.session || entry.state === 'stopping') return { reservations: 0, clients: 0, services: 0 };
    const failed = entry.state === 'failed';
    entry.state = 'stopping';
    const leaks = await this.closeSession(entry);
    entry.state = failed ? 'failed' : 'stopped';
    return leaks;
  }

  /** Stops every plugin, last started first. */
  async stopAll(): Promise<void> {
    for (const name of [...this.loaded.keys()].reverse()) await this.stop(name);
  }

  private get(name: string): Loaded {
    const entry = this.loaded.get(name);
    if (!entry) throw new PluginNotFoundError(name, [...this.loaded.keys()]);
    return entry;
  }

  private openSession(entry: Loaded): Session {
    const name = entry.plugin.manifest.name;
    const { router } = this.options;
    const provider = this.provider;
    const abort = new AbortController();
    const session: Session = {
      abort,
      reservations: new Set(),
      clients: new Set(),
      services: new Set(),
      stopped: false,
      events: undefined,
      context: undefined as unknown as PluginContext,
    };
    const refuseIfStopped = (operation: string): void => {
      if (session.stopped) throw new PluginStoppedError(name, operation);
    };
    const contained = <T>(source: Observable<T>): Observable<T> =>
      containSubscribers(source, (err) => this.contain(entry, 'subscriber', err));
    const context: PluginContext = {
      name,
      config: this.configOf(name),
      logger: this.logger.child({ plugin: name }),
      signal: abort.signal,
      router: {
        endpoints: () => router.endpoints(),
        endpoint: (id: number) => router.endpoint(id),
        endpointEvents$: contained(router.endpointEvents$),
        reservationFreed$: contained(router.endpointIds.freed$),
        reserveEndpoint: (key: BackendKey, reserveOptions?: ReserveOptions) => {
          refuseIfStopped('reserveEndpoint');
          const onLost = reserveOptions?.onLost;
          const reservation = router.reserveEndpoint(key, name, {
            detachGraceMs: reserveOptions?.detachGraceMs,
            onLost: (reason) => {
              session.reservations.delete(reservation);
              onLost?.(reason);
            },
          });
          session.reservations.add(reservation);
          return {
            id: reservation.id,
            key: reservation.key,
            owner: reservation.owner,
            release: () => {
              if (session.reservations.delete(reservation)) reservation.release();
            },
          };
        },
      },
      names: {
        // One lookup implementation on every provider: NEW_LOOKUP over the socket contract.
        lookup$: (filter) => contained(watchServers$(provider, filter)),
      },
      qmi: {
        provider,
        openClient: async (options) => {
          refuseIfStopped('openClient');
          const client = await QmiClient.open(provider, options);
          if (session.stopped) {
            client.close();
            throw new PluginStoppedError(name, 'openClient');
          }
          // Tracked while open only: a plugin that opens a client per device must not accumulate closed ones.
          const close = client.close.bind(client);
          client.close = (): void => {
            session.clients.delete(client);
            close();
          };
          session.clients.add(client);
          return containQmiClient(client, (err) => this.contain(entry, `QMI client of service ${options.service}`, err));
        },
        startService: async (options, setup) => {
          refuseIfStopped('startService');
          const service = await QmiService.start(provider, options, setup);
          const close = service.close.bind(service);
          service.close = (): void => {
            session.services.delete(service);
            close();
          };
          session.services.add(service);
          if (session.stopped) {
            service.close();
            throw new PluginStoppedError(name, 'startService');
          }
          return service;
        },
      },
    };
    (session as { context: PluginContext }).context = context;
    return session;
  }

  private async closeSession(entry: Loaded): Promise<PluginLeaks> {
    const session = entry.session;
    if (!session) return { reservations: 0, clients: 0, services: 0 };
    const name = entry.plugin.manifest.name;
    session.events?.unsubscribe();
    session.abort.abort();
    try {
      await entry.lifecycle.stop();
    } catch (err) {
      this.logger.error({ plugin: name, err }, 'plugin stop failed');
    }
    session.stopped = true;
    for (const client of session.clients) if (client.closed) session.clients.delete(client);
    const leaks: PluginLeaks = { reservations: session.reservations.size, clients: session.clients.size, services: session.services.size };
    if (leaks.reservations + leaks.clients + leaks.services > 0) {
      this.logger.warn({ plugin: name, ...leaks }, 'plugin left resources behind after stop; releasing them');
    }
    for (const r of [...session.reservations]) r.release();
    session.reservations.clear();
    for (const c of session.clients) c.close();
    for (const s of [...session.services]) s.close();
    entry.session = undefined;
    entry.lastLeaks = leaks;
    return leaks;
  }

  private forwardEndpointEvents(entry: Loaded, session: Session): void {
    const { lifecycle } = entry;
    if (!lifecycle.onEndpointAttached && !lifecycle.onEndpointDetached) return;
    const patterns = entry.plugin.manifest.backendKeys;
    const matches = (key: BackendKey): boolean => patterns.some((p) => backendKeyMatches(p, key));
    const call = (hook: 'onEndpointAttached' | 'onEndpointDetached', endpoint: PluginEndpoint): void => {
      try {
        lifecycle[hook]?.(endpoint);
      } catch (err) {
        this.contain(entry, `${hook}(${endpoint.id})`, err);
      }
    };
    const initial = new Observable<EndpointEvent>((s) => {
      for (const e of this.options.router.endpoints()) s.next({ type: 'attached', id: e.id, key: e.key });
      return this.options.router.endpointEvents$.subscribe(s);
    });
    session.events = initial.subscribe((event) => {
      if (session.stopped || !matches(event.key)) return;
      call(event.type === 'attached' ? 'onEndpointAttached' : 'onEndpointDetached', { id: event.id, key: event.key });
    });
  }
}
