import { Observable, type Subscriber } from 'rxjs';
import type { DeviceControl } from '../../router/device-control';
import type { BackendDevice, BackendKey, Endpoint } from '../../router/endpoint';
import type { AttachedEndpoint, Router } from '../../router/router';
import { LinkClosedError, LinkPacketTooLargeError } from '../errors';
import { MhiRingFullError, type MhiChannelClient, type MhiController, type MhiTransferStatus } from './mhi-controller';
import { MHI_RX_BUFFERS, type MhiRxBufferPool } from './rx-buffer-pool';

export interface MhiQrtrEndpointOptions {
  /** Where DL buffers come from and go back to (default: the process-wide pool). */
  readonly rxBuffers?: MhiRxBufferPool;
  /** Packets held for a free UL descriptor before transmit() refuses with MHI_RING_FULL. Default 256. */
  readonly txBacklog?: number;
}

interface WaitingTransfer {
  readonly packet: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * The QRTR endpoint of one MHI device, following net/qrtr/mhi.c: each completed
 * DL buffer is one packet (copied out, since the buffer is requeued at once),
 * error completions are skipped, -ENOTCONN buffers are dropped, and every packet
 * to the device is one UL transfer. Keyed `{ kind: 'mhi', key: <PCI address> }`.
 *
 * A full UL ring is back-pressure, not loss: mhi_queue_skb() answers -EAGAIN when no
 * descriptor is free, and the packet waits here (in order, behind any already waiting)
 * for the UL completion that frees one; transmit() resolves once it was transferred.
 */
export class MhiQrtrEndpoint implements Endpoint, MhiChannelClient {
  readonly backendKey: BackendKey;
  /** The PCI function behind the MHI controller. */
  readonly device: BackendDevice;
  /** The controller's memory and reset of the device, lent to the device's drivers. */
  readonly control: DeviceControl | undefined;
  readonly packets$: Observable<Uint8Array>;
  private subscriber: Subscriber<Uint8Array> | null = null;
  private isClosed = false;
  /** Completions skipped because the transfer failed. */
  errors = 0;
  private readonly rxBuffers: MhiRxBufferPool;
  private readonly txBacklog: number;
  private waiting: WaitingTransfer[] = [];
  private waitingHead = 0;

  private constructor(
    readonly controller: MhiController,
    options: MhiQrtrEndpointOptions,
  ) {
    this.rxBuffers = options.rxBuffers ?? MHI_RX_BUFFERS;
    this.txBacklog = options.txBacklog ?? 256;
    this.backendKey = { kind: 'mhi', key: controller.pciAddress };
    this.device = { bus: 'pci', address: controller.pciAddress, ...controller.pciIds, ...controller.deviceInfo };
    this.control = controller.control;
    this.packets$ = new Observable<Uint8Array>((subscriber) => {
      if (this.isClosed || this.subscriber) {
        subscriber.complete();
        return undefined;
      }
      this.subscriber = subscriber;
      return () => {
        if (this.subscriber === subscriber) this.subscriber = null;
      };
    });
  }

  /**
   * Probe, in the order of "synchronize qrtr and mhi preparation" (2025): prepare
   * the channels without autoqueue (so nothing is sent before they are ready),
   * register the endpoint (so no DL completion arrives before it exists), then
   * queue one RX buffer per free descriptor. A failure undoes what was done.
   */
  static probe(router: Router, controller: MhiController, options: MhiQrtrEndpointOptions = {}): { endpoint: MhiQrtrEndpoint; attached: AttachedEndpoint } {
    const endpoint = new MhiQrtrEndpoint(controller, options);
    controller.bind(endpoint);
    controller.prepareForTransfer();
    let attached: AttachedEndpoint;
    try {
      attached = router.attach(endpoint);
    } catch (err) {
      controller.unprepareFromTransfer();
      throw err;
    }
    try {
      const count = controller.freeRxDescriptors();
      for (let i = 0; i < count; i++) {
        const buffer = endpoint.rxBuffers.acquire(controller.bufferLength);
        try {
          controller.queueRx(buffer);
        } catch (err) {
          endpoint.rxBuffers.release(buffer);
          throw err;
        }
      }
    } catch (err) {
      attached.detach();
      throw err;
    }
    return { endpoint, attached };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  transmit(packet: Uint8Array): Promise<void> {
    if (this.isClosed) return Promise.reject(new LinkClosedError(`mhi:${this.controller.pciAddress}`));
    if (this.waitingHead === this.waiting.length && this.controller.freeTxDescriptors() > 0) return this.controller.queueTx(packet);
    if (this.waiting.length - this.waitingHead >= this.txBacklog) {
      return Promise.reject(new MhiRingFullError(this.controller.pciAddress, 'UL', this.txBacklog));
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ packet, resolve, reject });
    });
  }

  /** Waiting packets go to the ring in order, as many as it has free descriptors. */
  uplinkComplete(): void {
    while (!this.isClosed && this.waitingHead < this.waiting.length && this.controller.freeTxDescriptors() > 0) {
      const next = this.waiting[this.waitingHead++];
      this.controller.queueTx(next.packet).then(next.resolve, next.reject);
    }
    if (this.waitingHead === this.waiting.length && this.waitingHead > 0) {
      this.waiting = [];
      this.waitingHead = 0;
    }
  }

  /** Packets waiting for a free UL descriptor. */
  get waitingTransfers(): number {
    return this.waiting.length - this.waitingHead;
  }

  /** Remove: unregister the endpoint, then unprepare the channels (mhi.c remove order). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const subscriber = this.subscriber;
    this.subscriber = null;
    subscriber?.complete();
    const waiting = this.waiting.slice(this.waitingHead);
    this.waiting = [];
    this.waitingHead = 0;
    for (const w of waiting) w.reject(new LinkClosedError(`mhi:${this.controller.pciAddress}`));
    this.controller.unprepareFromTransfer();
  }

  downlinkComplete(buffer: Uint8Array, bytes: number, status: MhiTransferStatus): void {
    if (status === 'not-connected' || this.isClosed) {
      // Channel reset (or the endpoint is gone): the buffer is freed, not requeued.
      this.rxBuffers.release(buffer);
      return;
    }
    if (status === 'ok') {
      if (bytes > buffer.length) {
        this.errors++;
        this.subscriber?.error(new LinkPacketTooLargeError(`mhi:${this.controller.pciAddress}`, bytes, buffer.length));
        return;
      }
      this.subscriber?.next(buffer.slice(0, bytes));
    } else {
      this.errors++;
    }
    this.controller.queueRx(buffer);
  }

  removed(): void {
    const subscriber = this.subscriber;
    this.subscriber = null;
    // Completing packets$ makes the router detach, which calls close().
    subscriber?.complete();
    this.close();
  }
}
