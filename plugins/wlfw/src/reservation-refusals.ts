import type { Subscription } from 'rxjs';
import { QrtrdError, formatBackendKey, type BackendKey, type EndpointReservation, type PluginContext, type ReserveOptions, type ServerInfo } from '../../../src/sdk';
import type { WlfwFamily } from './chip-params';
import { initialStatus, type WlfwCardStatus } from './card-status';

/** Refusals a card waits out: the owner's quota, or the registry's global limit. */
const WAITABLE = new Set(['QRTR_ENDPOINT_QUOTA_EXCEEDED', 'QRTR_ENDPOINT_IDS_EXHAUSTED']);

interface Refused {
  readonly server: ServerInfo;
  readonly status: WlfwCardStatus;
}

/**
 * The loader's endpoint reservations for cards found by lookup, and the cards that
 * could not get one. A refusal is that card's alone: it shows as `refused` with the
 * typed error in `qrtr cards`, is logged once per episode (with the owner and the
 * quota, not once per card or retry), and is retried whenever a reservation frees.
 */
export class ReservationRefusals {
  private readonly refused = new Map<string, Refused>();
  private freed: Subscription | undefined;
  private retryScheduled = false;

  constructor(
    private readonly family: WlfwFamily,
    private readonly context: PluginContext,
    private readonly retry: (server: ServerInfo) => void,
    private readonly changed: () => void,
  ) {}

  /** The reservation, or undefined when refused (the card is then listed and retried). Other errors are thrown. */
  reserve(slot: string, server: ServerInfo, key: BackendKey, options: ReserveOptions): EndpointReservation | undefined {
    try {
      const reservation = this.context.router.reserveEndpoint(key, options);
      if (this.refused.delete(slot)) this.changed();
      return reservation;
    } catch (err) {
      if (!(err instanceof QrtrdError) || !WAITABLE.has(err.code)) throw err;
      if (this.refused.has(slot)) return undefined;
      if (this.refused.size === 0) {
        this.context.logger.error(
          { code: err.code, owner: this.context.name, ...err.details },
          `${err.message}; the card waits (state 'refused') and is retried when a reservation frees. Further refusals are not logged until one succeeds`,
        );
      }
      const status: WlfwCardStatus = {
        ...initialStatus(formatBackendKey(key), server.endpoint, this.family),
        state: 'refused',
        node: server.node,
        port: server.port,
        instance: server.instance,
        lastError: { code: err.code, message: err.message },
      };
      this.refused.set(slot, { server, status });
      this.freed ??= this.context.router.reservationFreed$.subscribe(() => this.scheduleRetry());
      this.changed();
      return undefined;
    }
  }

  /** The card's server went away: nothing to retry. */
  forget(slot: string): void {
    if (!this.refused.delete(slot)) return;
    if (this.refused.size === 0) this.unwatch();
    this.changed();
  }

  clear(): void {
    this.refused.clear();
    this.unwatch();
  }

  statuses(): WlfwCardStatus[] {
    return [...this.refused.values()].map((r) => r.status);
  }

  private unwatch(): void {
    this.freed?.unsubscribe();
    this.freed = undefined;
  }

  /** Retries after the registry has finished the release that freed the slot (never inside it). */
  private scheduleRetry(): void {
    if (this.retryScheduled) return;
    this.retryScheduled = true;
    setImmediate(() => {
      this.retryScheduled = false;
      for (const { server } of [...this.refused.values()]) this.retry(server);
      if (this.refused.size === 0) this.unwatch();
    });
  }
}
