import { QRTR_TX_FLOW_HIGH, QRTR_TX_FLOW_LOW } from '../wire/constants';
import type { QrtrdError } from '../common/errors';

interface Waiter {
  resolve(confirmRx: boolean): void;
  reject(err: Error): void;
  detachSignal?: () => void;
}

/** Per (remote node, remote port) transmit state, as the kernel's struct qrtr_tx_flow. */
export interface Flow {
  pending: number;
  txFailed: boolean;
  waiters: Waiter[];
}

/** Outcome of {@link FlowTable.tryAcquire} when the sender may not transmit now. */
export const MUST_WAIT = -1;

/**
 * Outgoing flow control of one endpoint (reference §3.4): at most
 * QRTR_TX_FLOW_HIGH (10) unconfirmed DATA packets per remote port; the packet
 * that makes 5 pending asks for a RESUME_TX (confirm_rx); RESUME_TX resets the
 * count and lets waiting senders go, in the order they arrived.
 *
 * Unlike mainline, entries are freed when the remote port goes away (DEL_CLIENT)
 * or its node says BYE, and waiters are failed with a typed error instead of
 * sleeping until the link drops.
 */
export class FlowTable {
  private readonly flows = new Map<number, Map<number, Flow>>();
  private count = 0;

  constructor(private readonly maxWaitersPerFlow: number) {}

  /** Flow entries alive (for leak checks and stats). */
  get size(): number {
    return this.count;
  }

  get(node: number, port: number): Flow | undefined {
    return this.flows.get(node)?.get(port);
  }

  /**
   * Takes a transmit slot if one is free and nobody waits before us: returns 1
   * (send with confirm_rx) or 0 (send plain); {@link MUST_WAIT} otherwise.
   */
  tryAcquire(node: number, port: number): number {
    const flow = this.getOrCreate(node, port);
    if (flow.waiters.length > 0 || (flow.pending >= QRTR_TX_FLOW_HIGH && !flow.txFailed)) return MUST_WAIT;
    return grant(flow) ? 1 : 0;
  }

  /** True when a waiter could be queued (the per-flow limit is not reached). */
  canWait(node: number, port: number): boolean {
    return this.getOrCreate(node, port).waiters.length < this.maxWaitersPerFlow;
  }

  /** Waits for a slot behind earlier waiters; resolves with the confirm_rx flag to send with. */
  wait(node: number, port: number, signal: AbortSignal | undefined, onAbort: () => Error): Promise<boolean> {
    const flow = this.getOrCreate(node, port);
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (signal) {
        const abort = (): void => {
          const i = flow.waiters.indexOf(waiter);
          if (i >= 0) flow.waiters.splice(i, 1);
          reject(onAbort());
        };
        signal.addEventListener('abort', abort, { once: true });
        waiter.detachSignal = () => signal.removeEventListener('abort', abort);
      }
      flow.waiters.push(waiter);
    });
  }

  /** A transmit that carried confirm_rx failed: the next packet must ask again (tx_failed). */
  transmitFailed(node: number, port: number, confirmRx: boolean): void {
    const flow = this.get(node, port);
    if (!flow || !confirmRx) return;
    flow.txFailed = true;
    drain(flow);
  }

  /** RESUME_TX from the remote port: everything so far is consumed. */
  resume(node: number, port: number): boolean {
    const flow = this.get(node, port);
    if (!flow) return false;
    flow.pending = 0;
    drain(flow);
    return true;
  }

  /** The remote port went away: free its entry and fail its waiters. */
  removePort(node: number, port: number, reason: () => QrtrdError): void {
    const ports = this.flows.get(node);
    const flow = ports?.get(port);
    if (!ports || !flow) return;
    ports.delete(port);
    if (ports.size === 0) this.flows.delete(node);
    this.count--;
    failAll(flow, reason);
  }

  /** The remote node went away (BYE). */
  removeNode(node: number, reason: (port: number) => QrtrdError): void {
    const ports = this.flows.get(node);
    if (!ports) return;
    this.flows.delete(node);
    for (const [port, flow] of ports) {
      this.count--;
      failAll(flow, () => reason(port));
    }
  }

  /** The endpoint detached: fail every waiter and free everything. */
  clear(reason: () => QrtrdError): void {
    for (const ports of this.flows.values()) for (const flow of ports.values()) failAll(flow, reason);
    this.flows.clear();
    this.count = 0;
  }

  private getOrCreate(node: number, port: number): Flow {
    let ports = this.flows.get(node);
    if (!ports) {
      ports = new Map();
      this.flows.set(node, ports);
    }
    let flow = ports.get(port);
    if (!flow) {
      flow = { pending: 0, txFailed: false, waiters: [] };
      ports.set(port, flow);
      this.count++;
    }
    return flow;
  }
}

function grant(flow: Flow): boolean {
  if (flow.txFailed) {
    flow.txFailed = false;
    return true;
  }
  flow.pending++;
  return flow.pending === QRTR_TX_FLOW_LOW;
}

/** Hands free slots to waiters in arrival order; each resumes and transmits in that order. */
function drain(flow: Flow): void {
  while (flow.waiters.length > 0 && (flow.pending < QRTR_TX_FLOW_HIGH || flow.txFailed)) {
    const waiter = flow.waiters.shift()!;
    waiter.detachSignal?.();
    waiter.resolve(grant(flow));
  }
}

function failAll(flow: Flow, reason: () => QrtrdError): void {
  const waiters = flow.waiters;
  flow.waiters = [];
  for (const waiter of waiters) {
    waiter.detachSignal?.();
    waiter.reject(reason());
  }
}
