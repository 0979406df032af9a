import { Observable, type Subscriber } from 'rxjs';
import type { DeviceControl } from '../../router/device-control';
import type { BackendKey, Endpoint } from '../../router/endpoint';
import type { AttachedEndpoint, Router } from '../../router/router';
import { LinkPacketTooLargeError } from '../errors';
import { MhiChannelNotReadyError, MhiDeviceRemovedError, MhiRingFullError, type MhiChannelClient, type MhiController, type PciIds } from './mhi-controller';
import { MhiQrtrEndpoint } from './mhi-qrtr-endpoint';

export interface SimulatedMhiOptions {
  /** RX buffer size (mhi_cntrl->buffer_len). Default 65536 + 32: the largest QRTR packet fits. */
  readonly bufferLength?: number;
  /** Descriptors per ring (UL and DL). Default 32. */
  readonly ringSize?: number;
  /** Packets the device holds while the host has no RX buffer queued. Default 256. */
  readonly deviceBacklog?: number;
  /** Called with every call the driver makes (prepare, queue-rx, ...), for ordering checks. */
  readonly trace?: (operation: string) => void;
  /** The simulated function's PCI ids. */
  readonly pciIds?: PciIds;
  /** The simulated device's host memory and power cycle (the card simulator provides them). */
  readonly control?: DeviceControl;
}

interface UlTransfer {
  packet: Uint8Array;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * An MHI controller whose device is simulated in process: the host side is the
 * MhiController the QRTR driver uses, the device side is an Endpoint a simulated
 * card's own Router attaches to. It keeps the rules a real controller imposes:
 * transfers only on prepared channels, rings of bounded size, DL data only into
 * buffers the host queued (the device holds packets until buffers arrive), and
 * completions delivered later (on a microtask, like interrupts), never re-entrantly.
 */
export class SimulatedMhiController implements MhiController {
  readonly bufferLength: number;
  readonly ringSize: number;
  /** The card side: attach it to the simulated card's router. */
  readonly deviceEndpoint: Endpoint;
  private client: MhiChannelClient | null = null;
  private prepared = false;
  private isRemoved = false;
  private rxRing: Uint8Array[] = [];
  private ulRing: UlTransfer[] = [];
  private deviceBacklog: Uint8Array[] = [];
  private deviceSubscriber: Subscriber<Uint8Array> | null = null;
  private flushScheduled = false;
  private readonly backlogLimit: number;
  private readonly trace: (operation: string) => void;
  readonly pciIds: PciIds | undefined;
  readonly control: DeviceControl | undefined;

  constructor(
    readonly pciAddress: string,
    options: SimulatedMhiOptions = {},
  ) {
    this.bufferLength = options.bufferLength ?? 65536 + 32;
    this.ringSize = options.ringSize ?? 32;
    this.backlogLimit = options.deviceBacklog ?? 256;
    this.trace = options.trace ?? (() => undefined);
    this.pciIds = options.pciIds;
    this.control = options.control;
    const key: BackendKey = { kind: 'mhi-device', key: pciAddress };
    const packets$ = new Observable<Uint8Array>((subscriber) => {
      if (this.isRemoved || this.deviceSubscriber) {
        subscriber.complete();
        return undefined;
      }
      this.deviceSubscriber = subscriber;
      this.scheduleFlush();
      return () => {
        if (this.deviceSubscriber === subscriber) this.deviceSubscriber = null;
      };
    });
    this.deviceEndpoint = {
      backendKey: key,
      packets$,
      transmit: (packet) => this.deviceTransmit(packet),
      close: () => this.remove(),
    };
  }

  get isPrepared(): boolean {
    return this.prepared;
  }

  get removedFromBus(): boolean {
    return this.isRemoved;
  }

  /** RX buffers the host has queued and the device has not filled yet. */
  get queuedRxBuffers(): number {
    return this.rxRing.length;
  }

  /** Packets the device is holding for lack of host RX buffers. */
  get deviceBacklogLength(): number {
    return this.deviceBacklog.length;
  }

  // ------------------------------------------------------------- host side

  bind(client: MhiChannelClient): void {
    this.client = client;
  }

  prepareForTransfer(): void {
    if (this.isRemoved) throw new MhiDeviceRemovedError(this.pciAddress);
    this.trace('prepare');
    this.prepared = true;
  }

  unprepareFromTransfer(): void {
    if (!this.prepared) return;
    this.trace('unprepare');
    this.prepared = false;
    const buffers = this.rxRing;
    this.rxRing = [];
    for (const buffer of buffers) this.client?.downlinkComplete(buffer, 0, 'not-connected');
    const transfers = this.ulRing;
    this.ulRing = [];
    for (const t of transfers) t.reject(new MhiChannelNotReadyError(this.pciAddress, 'UL'));
  }

  freeRxDescriptors(): number {
    return this.ringSize - this.rxRing.length;
  }

  queueRx(buffer: Uint8Array): void {
    if (!this.prepared) throw new MhiChannelNotReadyError(this.pciAddress, 'DL');
    if (this.rxRing.length >= this.ringSize) throw new MhiRingFullError(this.pciAddress, 'DL', this.ringSize);
    this.trace('queue-rx');
    this.rxRing.push(buffer);
    if (this.deviceBacklog.length > 0) this.scheduleFlush();
  }

  queueTx(packet: Uint8Array): Promise<void> {
    if (!this.prepared) return Promise.reject(new MhiChannelNotReadyError(this.pciAddress, 'UL'));
    if (this.ulRing.length >= this.ringSize) return Promise.reject(new MhiRingFullError(this.pciAddress, 'UL', this.ringSize));
    return new Promise<void>((resolve, reject) => {
      this.ulRing.push({ packet, resolve, reject });
      this.scheduleFlush();
    });
  }

  // ----------------------------------------------------------- device side

  /** The card sends one packet on DL: into the next host RX buffer, or held until one is queued. */
  private deviceTransmit(packet: Uint8Array): void {
    if (this.isRemoved) throw new MhiDeviceRemovedError(this.pciAddress);
    if (packet.length > this.bufferLength) throw new LinkPacketTooLargeError(`mhi-device:${this.pciAddress}`, packet.length, this.bufferLength);
    if (this.deviceBacklog.length >= this.backlogLimit) throw new MhiRingFullError(this.pciAddress, 'DL', this.backlogLimit);
    this.deviceBacklog.push(packet);
    this.scheduleFlush();
  }

  /** Fault injection: the next queued RX buffer completes with a transfer error (the driver skips and requeues it). */
  injectDownlinkError(): boolean {
    const buffer = this.rxRing.shift();
    if (!buffer) return false;
    this.client?.downlinkComplete(buffer, 0, 'error');
    return true;
  }

  /** Surprise removal / hot unplug: both sides see the link end. */
  remove(): void {
    if (this.isRemoved) return;
    this.trace('remove');
    this.unprepareFromTransfer();
    this.isRemoved = true;
    this.deviceBacklog = [];
    const device = this.deviceSubscriber;
    this.deviceSubscriber = null;
    device?.complete();
    this.client?.removed();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flush);
  }

  /** Moves data across the simulated bus: UL transfers to the card, DL packets into host buffers. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.deviceSubscriber && this.ulRing.length > 0) {
      const transfers = this.ulRing;
      this.ulRing = [];
      for (const t of transfers) {
        this.deviceSubscriber?.next(t.packet);
        t.resolve();
      }
    }
    while (this.prepared && this.deviceBacklog.length > 0 && this.rxRing.length > 0) {
      const packet = this.deviceBacklog.shift()!;
      const buffer = this.rxRing.shift()!;
      buffer.set(packet);
      this.client?.downlinkComplete(buffer, packet.length, 'ok');
    }
  };
}

/** A simulated PCIe card on the host's router. */
export interface SimulatedMhiCard {
  readonly controller: SimulatedMhiController;
  /** The QRTR MHI endpoint on the host router. */
  readonly hostEndpoint: MhiQrtrEndpoint;
  readonly attached: AttachedEndpoint;
  /** Attach this to the card's own Router. */
  readonly deviceEndpoint: Endpoint;
  /** Hot-unplugs the card. */
  remove(): void;
}

/** Plugs a simulated MHI card into `router` (probe order of net/qrtr/mhi.c). */
export function createSimulatedMhiCard(router: Router, pciAddress: string, options?: SimulatedMhiOptions): SimulatedMhiCard {
  const controller = new SimulatedMhiController(pciAddress, options);
  const { endpoint, attached } = MhiQrtrEndpoint.probe(router, controller);
  return { controller, hostEndpoint: endpoint, attached, deviceEndpoint: controller.deviceEndpoint, remove: () => controller.remove() };
}
