import type { interfaces } from 'inversify';
import type { Observable } from 'rxjs';
import type { BackendKey } from '../router/endpoint';
import type { EndpointReservation, ReservationFreed, ReserveOptions } from '../router/endpoint-ids';
import type { EndpointEvent, EndpointInfo } from '../router/router';
import type { QrtrSocketProvider } from '../router/socket';
import type { LookupEvent, LookupFilter } from '../ns/types';
import type { QmiClient, QmiClientOptions } from '../qmi/client';
import type { QmiService, QmiServiceOptions } from '../qmi/service';
import type { PluginLogger } from './logger';

/** A QMI service a plugin drives (as a client) or provides. */
export interface PluginQmiServiceRef {
  readonly service: number;
  readonly version?: number;
  /** Instances the plugin knows; absent means any. */
  readonly instances?: readonly number[];
  readonly role: 'client' | 'server';
}

/**
 * What a plugin declares about itself, checked when it is loaded.
 * `backendKeys` are patterns `kind:key` where `key` may be `*` (e.g. `mhi:*`):
 * endpoint attach/detach hooks are only called for matching endpoints.
 */
export interface PluginManifest {
  /** Unique, lowercase, e.g. 'ath11k'. Also the owner of its endpoint reservations. */
  readonly name: string;
  /** Semver of the plugin. */
  readonly version: string;
  readonly description?: string;
  readonly qmiServices: readonly PluginQmiServiceRef[];
  readonly backendKeys: readonly string[];
}

/**
 * A plugin: a manifest plus an inversify ContainerModule. The module binds
 * {@link PLUGIN_LIFECYCLE} (and whatever it needs internally); it may inject
 * {@link PLUGIN_CONTEXT}. The host loads each plugin into a child container.
 */
export interface Plugin {
  readonly manifest: PluginManifest;
  readonly module: interfaces.ContainerModule;
}

/**
 * Lifecycle hooks the host calls. Ordering: start, then endpoint hooks (first an
 * `onEndpointAttached` for every matching endpoint already attached), then stop.
 * Hooks are never called concurrently with start or stop of the same plugin.
 */
export interface PluginLifecycle {
  /** Begins work. The context stays valid until stop resolves. Must be idempotent. */
  start(context: PluginContext): Promise<void> | void;
  /**
   * Ends work and releases every socket, handle and reservation taken through the
   * context; the host reports (and then releases) anything left over. Idempotent.
   */
  stop(): Promise<void> | void;
  /**
   * An endpoint matching the manifest's backendKeys attached. Errors are logged and
   * counted, never fatal to the daemon; past the host's fault limit the plugin is stopped.
   */
  onEndpointAttached?(endpoint: PluginEndpoint): void;
  /** A matching endpoint detached. Errors: as onEndpointAttached. */
  onEndpointDetached?(endpoint: PluginEndpoint): void;
}

/** An endpoint as plugins see it. */
export interface PluginEndpoint {
  readonly id: number;
  readonly key: BackendKey;
}

/** The router as plugins see it: read-only except for reservations, which the host tracks. */
export interface PluginRouterView {
  endpoints(): EndpointInfo[];
  /** One endpoint by ID (undefined once it detached); cheaper than searching endpoints(). */
  endpoint(id: number): EndpointInfo | undefined;
  readonly endpointEvents$: Observable<EndpointEvent>;
  /**
   * Reserves the endpoint ID of a backend key, owned by the plugin, before or
   * after its device attaches. Release it when done; the host releases leftovers on stop.
   * `options.detachGraceMs` lets the registry release it when the device stays away
   * that long (and at once for a key that can never return), telling `options.onLost`.
   * @throws PluginStoppedError after stop; EndpointQuotaExceededError past the plugin's quota.
   */
  reserveEndpoint(key: BackendKey, options?: ReserveOptions): EndpointReservation;
  /** A reservation ended somewhere: the moment to retry one refused for quota. */
  readonly reservationFreed$: Observable<ReservationFreed>;
}

/** The name service as plugins see it: lookups over the socket contract, the same on every provider. */
export interface PluginNameServiceView {
  /** Snapshot then add/remove events for matching servers (any endpoint unless filtered). */
  lookup$(filter: LookupFilter): Observable<LookupEvent>;
}

/** QMI handles, tracked per plugin so that stop can prove nothing leaked. */
export interface PluginQmi {
  /** Opens a client; pass `endpoint` to bind it to one endpoint (reserve it first). */
  openClient(options: QmiClientOptions): Promise<QmiClient>;
  startService(options: QmiServiceOptions, setup?: (service: QmiService) => void): Promise<QmiService>;
  /** The socket provider behind the handles, for protocols beyond QMI. */
  readonly provider: QrtrSocketProvider;
}

/** What the host passes to {@link PluginLifecycle.start}. */
export interface PluginContext {
  readonly name: string;
  /** The plugin's section of the configuration (already JSON-parsed). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly logger: PluginLogger;
  readonly router: PluginRouterView;
  readonly names: PluginNameServiceView;
  readonly qmi: PluginQmi;
  /** Aborted when the plugin is being stopped. */
  readonly signal: AbortSignal;
}

/** DI token: the plugin's {@link PluginLifecycle} (bound by the plugin's module). */
export const PLUGIN_LIFECYCLE: interfaces.ServiceIdentifier<PluginLifecycle> = Symbol.for('qrtrd.PluginLifecycle');
/** DI token: the {@link PluginContext} (bound by the host in the plugin's child container). */
export const PLUGIN_CONTEXT: interfaces.ServiceIdentifier<PluginContext> = Symbol.for('qrtrd.PluginContext');

/** True if `key` matches a manifest pattern such as `mhi:*`, `mhi:0000:01:00.0` or `*`. */
export function backendKeyMatches(pattern: string, key: BackendKey): boolean {
  if (pattern === '*') return true;
  const colon = pattern.indexOf(':');
  if (colon <= 0) return false;
  const kind = pattern.slice(0, colon);
  const rest = pattern.slice(colon + 1);
  if (kind !== '*' && kind !== key.kind) return false;
  return rest === '*' || rest === key.key;
}
