import { Observable, type Subscriber } from 'rxjs';
import type { DeviceControl } from '../../router/device-control';
import type { BackendDevice, BackendKey, Endpoint } from '../../router/endpoint';
import type { AttachedEndpoint, Router } from '../../router/router';
import { LinkClosedError, LinkPacketTooLargeError } from '../errors';
import type { MhiChannelClient, MhiController, MhiTransferStatus } from './mhi-controller';

/**
 * The QRTR endpoint of one MHI device, following net/qrtr/mhi.c: each completed
 * DL buffer is one packet (copied out, since the buffer is requeued at once),
 * error completions are skipped, -ENOTCONN buffers are dropped, and every packet
 * to the device is one UL transfer. Keyed `{ kind: 'mhi', key: <PCI address> }`.
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

  private constructor(readonly controller: MhiController) {
    this.backendKey = { kind: 'mhi', key: controller.pciAddress };
    this.device = { bus: 'pci', address: controller.pciAddress, ...controller.pciIds };
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
  static probe(router: Router, controller: MhiController): { endpoint: MhiQrtrEndpoint; attached: AttachedEndpoint } {
    const endpoint = new MhiQrtrEndpoint(controller);
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
      for (let i = 0; i < count; i++) controller.queueRx(new Uint8Array(controller.bufferLength));
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
    return this.controller.queueTx(packet);
  }

  /** Remove: unregister the endpoint, then unprepare the channels (mhi.c remove order). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const subscriber = this.subscriber;
    this.subscriber = null;
    subscriber?.complete();
    this.controller.unprepareFromTransfer();
  }

  downlinkComplete(buffer: Uint8Array, bytes: number, status: MhiTransferStatus): void {
    if (status === 'not-connected') return; // channel reset: the buffer is freed, not requeued
    if (status === 'ok' && !this.isClosed) {
      if (bytes > buffer.length) {
        this.errors++;
        this.subscriber?.error(new LinkPacketTooLargeError(`mhi:${this.controller.pciAddress}`, bytes, buffer.length));
        return;
      }
      this.subscriber?.next(buffer.slice(0, bytes));
    } else {
      this.errors++;
    }
    if (!this.isClosed) this.controller.queueRx(buffer);
  }

  removed(): void {
    const subscriber = this.subscriber;
    this.subscriber = null;
    // Completing packets$ makes the router detach, which calls close().
    subscriber?.complete();
    this.close();
  }
}
