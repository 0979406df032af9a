import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import {
  NO_ENDPOINT_ID,
  formatBackendKey,
  parseBackendKey,
  type BackendKey,
  type EndpointReservation,
  type PluginContext,
  type ServerInfo,
  type DeviceControl,
  type DeviceMemoryProvider,
  type DeviceReservedMemory,
} from '../../../src/sdk';
import { WLFW_SERVICE, WLFW_VERSION, type WlfwChipParams, type WlfwFamily } from './chip-params';
import type { WlfwCardStatus } from './card-status';
import { matchPciDevice, pciDomainBus, resolveIdentity, type CardIdentity } from './card-identity';
import { FirmwareStore } from './firmware-store';
import { GroupBarrier } from './group-barrier';
import { parseLoaderOptions, type WlfwLoaderOptions } from './loader-options';
import { WlfwCard } from './wlfw-card';
import type { MloPools } from './target-memory';
import { ReservationRefusals } from './reservation-refusals';

interface CardEntry {
  /** Where the card is: see {@link slotOf}. */
  readonly slot: string;
  readonly card: WlfwCard;
  readonly reservation: EndpointReservation | undefined;
  readonly subscription: Subscription;
}

/**
 * Where a card is: its endpoint, or, where servers carry no endpoint ID (qrtrd in
 * kernel mode on a mainline kernel), its node id. Identical cards at one node cannot be
 * told apart there; cards at distinct nodes (e.g. behind qrtrd's TUN bridge, which
 * translates node ids) can.
 */
function slotOf(endpoint: number, node: number): string {
  return endpoint !== NO_ENDPOINT_ID ? `endpoint ${endpoint}` : `node ${node}`;
}

/** The backend key of a card found by lookup, behind `attached` if it has one. */
function cardKeyOf(server: ServerInfo, attached: BackendKey | undefined): BackendKey {
  // Without endpoint IDs the node id is the card's identity (stable across firmware
  // restarts, unlike the port).
  if (server.endpoint === NO_ENDPOINT_ID) return { kind: 'node', key: String(server.node) };
  // A server behind no remote endpoint (a local emulator) has no backend key to reserve.
  return attached ?? { kind: 'local', key: `${server.node}:${server.port}` };
}

/**
 * The WLFW firmware loader of one family (ath11k or ath12k). It reserves the
 * endpoint IDs of configured cards before their devices attach, watches the
 * name service for WLFW (service 69) on every endpoint whatever its backend,
 * and runs one {@link WlfwCard} per endpoint (per node where there are no
 * endpoint IDs) whose instance belongs to its chip table, each with a QMI client
 * bound to that endpoint (or node). Cards found to run the other family's
 * firmware are left alone until their firmware restarts.
 */
/** First wait before a failed WLFW lookup is made again, doubled per failure up to the maximum. */
const LOOKUP_RETRY_MS = 250;
const LOOKUP_RETRY_MAX_MS = 5000;

export class WlfwLoader {
  readonly options: WlfwLoaderOptions;
  private readonly store: FirmwareStore;
  private readonly groups: GroupBarrier;
  private readonly cardsBySlot = new Map<string, CardEntry>();
  private readonly opening = new Map<string, Promise<void>>();
  /** Slot → server (node:port) that was found to be the other family's. */
  private readonly declined = new Map<string, string>();
  private readonly cardsSubject = new BehaviorSubject<WlfwCardStatus[]>([]);
  private lookup: Subscription | undefined;
  private lookupRetry: NodeJS.Timeout | undefined;
  /** Cards refused a reservation (quota, table full), shown as such and retried when a slot frees. */
  private readonly refusals: ReservationRefusals;
  private started = false;
  private publishScheduled = false;
  private stopping: Promise<void> | undefined;
  /** ath12k MLO_GLOBAL memory per hardware group, shared by the group's cards. */
  private readonly mloPools: MloPools = new Map();

  /** Every card's status, re-emitted on any change. */
  readonly cards$: Observable<WlfwCardStatus[]> = this.cardsSubject.asObservable();

  constructor(
    readonly family: WlfwFamily,
    readonly chips: readonly WlfwChipParams[],
    private readonly context: PluginContext,
  ) {
    this.options = parseLoaderOptions(context.name, context.config);
    this.store = new FirmwareStore(this.options.firmwareDir);
    this.groups = new GroupBarrier(new Map(this.options.groups.map((g) => [g.id, g.keys])), this.options.groupWaitMs);
    this.refusals = new ReservationRefusals(family, context, (server) => this.onServer(server), () => this.publish());
  }

  /** Instances this loader answers to. */
  get instances(): number[] {
    return [...new Set(this.chips.map((c) => c.serviceInstance))];
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const text of this.options.cards) {
      const key = parseBackendKey(text);
      const reservation = this.context.router.reserveEndpoint(key);
      await this.openCard({ endpoint: reservation.id, key: formatBackendKey(key), reservation });
    }
    this.watchServers(0);
  }

  /**
   * The live WLFW server lookup. A lookup that fails (the name service did not finish its
   * listing in time, as a loaded kernel's may not; the name service restarted) is tried again
   * with backoff, or no card that appears later would ever be served. A new lookup's snapshot
   * repeats servers already served; onServer skips them.
   */
  private watchServers(failures: number): void {
    this.lookup = this.context.names.lookup$({ service: WLFW_SERVICE, version: WLFW_VERSION }).subscribe({
      next: (event) => {
        failures = 0;
        if (event.type === 'snapshot') for (const s of event.servers) this.onServer(s);
        else if (event.type === 'add') this.onServer(event.server);
        else {
          const slot = slotOf(event.server.endpoint, event.server.node);
          this.refusals.forget(slot);
          if (this.declined.get(slot) === `${event.server.node}:${event.server.port}`) this.declined.delete(slot);
        }
      },
      error: (err: unknown) => {
        if (!this.started || this.stopping) return;
        const retryInMs = Math.min(LOOKUP_RETRY_MAX_MS, LOOKUP_RETRY_MS * 2 ** failures);
        this.context.logger.warn({ err, code: (err as { code?: string }).code, retryInMs }, 'WLFW lookup failed; looking up again');
        this.lookupRetry = setTimeout(() => {
          this.lookupRetry = undefined;
          if (this.started && !this.stopping) this.watchServers(failures + 1);
        }, retryInMs);
        this.lookupRetry.unref();
      },
    });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.lookup?.unsubscribe();
      clearTimeout(this.lookupRetry);
      this.lookupRetry = undefined;
      this.refusals.clear();
      await Promise.all([...this.opening.values()].map((p) => p.catch(() => undefined)));
      this.groups.clear();
      const entries = [...this.cardsBySlot.values()];
      this.cardsBySlot.clear();
      await Promise.all(entries.map((e) => this.closeEntry(e)));
      this.declined.clear();
      this.publish();
      this.started = false;
    })();
    try {
      await this.stopping;
    } finally {
      this.stopping = undefined;
    }
  }

  /** Current status of every card (for `qrtr cards` and the daemon table). */
  snapshot(): WlfwCardStatus[] {
    return [...[...this.cardsBySlot.values()].map((e) => e.card.status), ...this.refusals.statuses()]
      .sort((a, b) => a.endpoint - b.endpoint || (a.node ?? 0) - (b.node ?? 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** One card's status stream, by backend key (`mhi:0000:01:00.0`). */
  status$(key: string): Observable<WlfwCardStatus> | undefined {
    for (const e of this.cardsBySlot.values()) if (e.card.key === key) return e.card.status$;
    return undefined;
  }

  /** Resolves once every listed (or every known) card is ready; rejects when one fails. */
  whenReady(keys?: readonly string[], timeoutMs = 30_000): Promise<WlfwCardStatus[]> {
    return new Promise((resolve, reject) => {
      let sub: Subscription | undefined;
      const timer = setTimeout(() => {
        sub?.unsubscribe();
        reject(new Error(`cards not ready within ${timeoutMs} ms: ${JSON.stringify(this.snapshot().map((c) => [c.key, c.state, c.lastError?.code]))}`));
      }, timeoutMs);
      sub = this.cards$.subscribe((cards) => {
        const mine = cards.filter((c) => c.state !== 'declined');
        const byKey = new Map(mine.map((c) => [c.key, c]));
        const wanted = keys ? keys.map((k) => byKey.get(k)) : mine;
        if (wanted.length === 0 || wanted.some((c) => !c)) return;
        const failed = wanted.find((c) => c!.state === 'failed');
        if (failed) {
          clearTimeout(timer);
          queueMicrotask(() => sub?.unsubscribe());
          reject(Object.assign(new Error(`card ${failed.key} failed: ${failed.lastError?.message}`), { status: failed }));
        } else if (wanted.every((c) => c!.state === 'ready')) {
          clearTimeout(timer);
          queueMicrotask(() => sub?.unsubscribe());
          resolve(wanted as WlfwCardStatus[]);
        }
      });
    });
  }

  /**
   * Whether `instance` can be one of this family's cards: a chip's own instance, or, for a card
   * whose identity gives a chip with an instance shift, that instance plus its PCI domain/bus
   * offset (checked exactly at bring-up, once firmware-2.bin's features are known).
   */
  private answers(instance: number, key: string, server: ServerInfo, device: CardIdentity | undefined): boolean {
    if (this.instances.includes(instance)) return true;
    const identity = resolveIdentity(this.options.identities, key, server, device);
    const pci = pciDomainBus(identity?.address);
    if (!pci) return false;
    const match = matchPciDevice(this.family, this.chips, identity);
    const offset = ((pci.domain & 0xf) << 4) | (pci.bus & 0xf);
    return match.kind === 'chip' && match.chip.instanceShift !== 'none' && match.chip.serviceInstance + offset === instance;
  }

  private onServer(server: ServerInfo): void {
    if (!this.started || this.stopping) return;
    const slot = slotOf(server.endpoint, server.node);
    if (this.cardsBySlot.has(slot) || this.opening.has(slot)) return;
    if (this.declined.get(slot) === `${server.node}:${server.port}`) return;
    const info = server.endpoint !== NO_ENDPOINT_ID ? this.context.router.endpoint(server.endpoint) : undefined;
    if (!this.answers(server.instance, info ? formatBackendKey(info.key) : '', server, info?.device)) return;
    const key = cardKeyOf(server, info?.key);
    // Held while the card is served; released when the device stays away past the grace
    // period (at once for a key that cannot return), which closes the card.
    const reservation = info ? this.refusals.reserve(slot, server, info.key, { detachGraceMs: this.options.detachGraceMs, onLost: () => this.forget(slot) }) : undefined;
    if (info && !reservation) return;
    const pending = this.openCard({ endpoint: server.endpoint, node: server.node, key: formatBackendKey(key), reservation, instance: server.instance })
      .catch((err: unknown) => {
        reservation?.release();
        this.context.logger.error({ err, endpoint: server.endpoint, node: server.node }, 'cannot open a WLFW client for the card');
      })
      .finally(() => this.opening.delete(slot));
    this.opening.set(slot, pending);
  }

  private async openCard(where: {
    readonly endpoint: number;
    /** The card's node, when there is no endpoint ID to bind to. */
    readonly node?: number;
    readonly key: string;
    readonly reservation: EndpointReservation | undefined;
    readonly instance?: number;
  }): Promise<void> {
    const { endpoint, key, reservation, instance } = where;
    const bind = this.options.bindEndpoints;
    const byNode = endpoint === NO_ENDPOINT_ID;
    const client = await this.context.qmi.openClient({
      service: WLFW_SERVICE,
      version: WLFW_VERSION,
      // Unbound (the kernel's way), the only filter left is the instance, and every identical card matches it.
      instance: bind && !byNode ? undefined : instance,
      endpoint: bind && !byNode ? endpoint : undefined,
      node: byNode ? where.node : undefined,
      name: `${this.family} WLFW client of ${key}`,
    });
    const card = new WlfwCard(key, endpoint, client, {
      family: this.family,
      chips: this.chips,
      options: this.options,
      store: this.store,
      groups: this.groups,
      logger: this.context.logger,
      onDecline: (c, server) => this.decline(c, server),
      identify: (c, server) => this.identify(c, server),
      control: (c) => withConfiguredReservedMemory(c.endpoint !== NO_ENDPOINT_ID ? this.context.router.endpoint(c.endpoint)?.control : undefined, this.options.reservedMemory.find((r) => r.key === c.key)?.map),
      mloPools: this.mloPools,
    });
    const subscription = card.status$.subscribe(() => this.publish());
    const entry: CardEntry = { slot: slotOf(endpoint, where.node ?? 0), card, reservation, subscription };
    if (this.stopping || !this.started) {
      await this.closeEntry(entry);
      return;
    }
    this.cardsBySlot.set(entry.slot, entry);
    card.start();
    this.publish();
  }

  /** The card's backend data (the endpoint's device), completed by the configured identities. */
  private identify(card: WlfwCard, server: ServerInfo): CardIdentity | undefined {
    const endpoint = card.endpoint !== NO_ENDPOINT_ID ? this.context.router.endpoint(card.endpoint) : undefined;
    return resolveIdentity(this.options.identities, card.key, server, endpoint?.device);
  }

  /** The card runs the other family's firmware: drop it until that server goes away. */
  private decline(card: WlfwCard, server: ServerInfo): void {
    const entry = [...this.cardsBySlot.values()].find((e) => e.card === card);
    if (!entry) return;
    this.declined.set(entry.slot, `${server.node}:${server.port}`);
    this.cardsBySlot.delete(entry.slot);
    for (const chip of this.chips) this.groups.forget(`${this.family}:${chip.chip}`, card.key);
    void this.closeEntry(entry).then(() => this.publish());
  }

  /** The card's device is gone for good: stop serving it. */
  private forget(slot: string): void {
    const entry = this.cardsBySlot.get(slot);
    if (!entry) {
      // Still opening: drop it once it is listed.
      void this.opening.get(slot)?.then(() => this.forget(slot));
      return;
    }
    this.cardsBySlot.delete(slot);
    for (const chip of this.chips) this.groups.forget(`${this.family}:${chip.chip}`, entry.card.key);
    void this.closeEntry(entry).then(() => this.publish());
  }

  private async closeEntry(entry: CardEntry): Promise<void> {
    entry.subscription.unsubscribe();
    await entry.card.stop();
    entry.reservation?.release();
  }

  /**
   * Coalesces status changes: cards$ emits at most once per event-loop turn, so
   * 64 cards downloading at once cost one snapshot per turn, not one per segment.
   */
  private publish(): void {
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    setImmediate(() => {
      this.publishScheduled = false;
      if (!this.cardsSubject.closed) this.cardsSubject.next(this.snapshot());
    });
  }
}

/** Controls already given their configured map, so a card sees the same object across bring-ups (its buffers are kept). */
const overlaid = new WeakMap<DeviceControl, { map: DeviceReservedMemory; control: DeviceControl }>();

/**
 * The link's control with the configured reserved-memory map in place of the map its memory
 * provider has (none, for a link that only knows how to allocate and copy); allocation and the
 * copy into reserved memory stay the link's. Without a configured map, the link's control as is.
 */
export function withConfiguredReservedMemory(control: DeviceControl | undefined, map: DeviceReservedMemory | undefined): DeviceControl | undefined {
  const memory = control?.memory;
  if (!control || !memory || !map) return control;
  const known = overlaid.get(control);
  if (known?.map === map) return known.control;
  const provider: DeviceMemoryProvider = {
    kind: memory.kind,
    allocateCoherent: (size) => memory.allocateCoherent(size),
    reservedRegions: map.regions,
    memoryRegion: map.memoryRegion,
    fixedAddresses: { bdf: map.bdf, caldb: map.caldb, m3Dump: map.m3Dump },
    writeReserved: (busAddress, bytes) => memory.writeReserved(busAddress, bytes),
  };
  const out: DeviceControl = {
    memory: provider,
    reset: control.reset?.bind(control),
    onCrash: control.onCrash?.bind(control),
    toJSON: () => control.toJSON(),
  };
  overlaid.set(control, { map, control: out });
  return out;
}
