import { Observable, type Subscriber } from 'rxjs';
import type { BackendDevice, BackendKey, Endpoint } from '../../router/endpoint';
import type { DeviceControl } from '../../router/device-control';
import type { AttachedEndpoint, Router } from '../../router/router';
import { LinkConfigError, LinkPacketTooLargeError } from '../errors';
import { MhiChannelNotReadyError, MhiDeviceRemovedError, MhiRingFullError, type MhiChannelClient, type MhiController, type PciIds } from './mhi-controller';
import { MhiQrtrEndpoint, type MhiQrtrEndpointOptions } from './mhi-qrtr-endpoint';

/** Sizes of a simulated IPCR channel pair: descriptors per ring and the DL buffer size. */
export interface SimulatedMhiRings {
  /** Descriptors of the UL ring (channel 20, host to device). */
  readonly ulRingSize: number;
  /** Descriptors of the DL ring (channel 21): one preallocated host buffer each. */
  readonly dlRingSize: number;
  /** DL buffer size (mhi_cntrl->buffer_len); a DL packet must fit one. */
  readonly bufferLength: number;
}

/**
 * Named ring sizes. `small` (the default) keeps a simulated card's memory low: 4 + 4
 * descriptors of 8 KiB. The others are the kernel's IPCR channel configurations, from
 * drivers/net/wireless/ath/ath11k/mhi.c: `ath11k_mhi_channels_qca6390` (channels 20/21,
 * num_elements 64) with `ath11k_mhi_config_qca6390.buf_len` 8192, and
 * `ath11k_mhi_channels_qcn9074` (num_elements 32) with `buf_len` 0, which
 * drivers/bus/mhi/host/init.c `parse_config()` turns into MHI_MAX_MTU (0xffff).
 * `kernel` is the QCN9074 one. 8 KiB DL buffers are what QCA6390/WCN6855 hosts run WLFW with.
 */
export const SIMULATED_MHI_RINGS = {
  small: { ulRingSize: 4, dlRingSize: 4, bufferLength: 8192 },
  'ath11k-qca6390': { ulRingSize: 64, dlRingSize: 64, bufferLength: 8192 },
  'ath11k-qcn9074': { ulRingSize: 32, dlRingSize: 32, bufferLength: 0xffff },
  kernel: { ulRingSize: 32, dlRingSize: 32, bufferLength: 0xffff },
} as const satisfies Record<string, SimulatedMhiRings>;

export type SimulatedMhiRingProfile = keyof typeof SIMULATED_MHI_RINGS;

/** The ring sizes `options` name: a profile (default `small`), then any size given on its own. */
export function simulatedMhiRings(options: Pick<SimulatedMhiOptions, 'rings' | 'ringSize' | 'ulRingSize' | 'dlRingSize' | 'bufferLength'> = {}): SimulatedMhiRings {
  const base = SIMULATED_MHI_RINGS[options.rings ?? 'small'];
  if (!base) throw new LinkConfigError('rings', `one of ${Object.keys(SIMULATED_MHI_RINGS).join(', ')}`, options.rings);
  const rings = {
    ulRingSize: options.ulRingSize ?? options.ringSize ?? base.ulRingSize,
    dlRingSize: options.dlRingSize ?? options.ringSize ?? base.dlRingSize,
    bufferLength: options.bufferLength ?? base.bufferLength,
  };
  for (const [name, value] of Object.entries(rings)) {
    if (!Number.isInteger(value) || value < 1) throw new LinkConfigError(name, 'an integer >= 1', value);
  }
  return rings;
}

export interface SimulatedMhiOptions {
  /** Named ring sizes (default `small`); the sizes below override single values of it. */
  readonly rings?: SimulatedMhiRingProfile;
  /** DL buffer size (mhi_cntrl->buffer_len). */
  readonly bufferLength?: number;
  /** Descriptors of both rings (UL and DL), unless ulRingSize/dlRingSize say otherwise. */
  readonly ringSize?: number;
  readonly ulRingSize?: number;
  readonly dlRingSize?: number;
  /** Packets the device holds while the host has no RX buffer queued. Default 256. */
  readonly deviceBacklog?: number;
  /** Called with every call the driver makes (prepare, queue-rx, ...), for ordering checks. */
  readonly trace?: (operation: string) => void;
  /** The simulated function's PCI ids. */
  readonly pciIds?: PciIds;
  /** SoC version registers (or a platform device's identity) the controller reports; see MhiController.deviceInfo. */
  readonly deviceInfo?: Partial<BackendDevice>;
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
 * transfers only on prepared channels, rings of bounded size (UL and DL sized apart),
 * DL data only into buffers the host queued (the device holds packets until buffers
 * arrive), a full UL ring refused like mhi_queue() does (-EAGAIN) with a UL completion
 * (ul_xfer_cb) when descriptors free up, and completions delivered later (on a
 * microtask, like interrupts), never re-entrantly.
 */
export class SimulatedMhiController implements MhiController {
  readonly bufferLength: number;
  readonly ulRingSize: number;
  readonly dlRingSize: number;
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
  readonly deviceInfo: Partial<BackendDevice> | undefined;
  readonly control: DeviceControl | undefined;

  constructor(
    readonly pciAddress: string,
    options: SimulatedMhiOptions = {},
  ) {
    const rings = simulatedMhiRings(options);
    this.bufferLength = rings.bufferLength;
    this.ulRingSize = rings.ulRingSize;
    this.dlRingSize = rings.dlRingSize;
    this.backlogLimit = options.deviceBacklog ?? 256;
    this.trace = options.trace ?? (() => undefined);
    this.pciIds = options.pciIds;
    this.deviceInfo = options.deviceInfo;
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
    return this.dlRingSize - this.rxRing.length;
  }

  freeTxDescriptors(): number {
    return this.ulRingSize - this.ulRing.length;
  }

  queueRx(buffer: Uint8Array): void {
    if (!this.prepared) throw new MhiChannelNotReadyError(this.pciAddress, 'DL');
    if (this.rxRing.length >= this.dlRingSize) throw new MhiRingFullError(this.pciAddress, 'DL', this.dlRingSize);
    this.trace('queue-rx');
    this.rxRing.push(buffer);
    if (this.deviceBacklog.length > 0) this.scheduleFlush();
  }

  queueTx(packet: Uint8Array): Promise<void> {
    if (!this.prepared) return Promise.reject(new MhiChannelNotReadyError(this.pciAddress, 'UL'));
    if (this.ulRing.length >= this.ulRingSize) return Promise.reject(new MhiRingFullError(this.pciAddress, 'UL', this.ulRingSize));
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
      // ul_xfer_cb: the descriptors are free again.
      this.client?.uplinkComplete();
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
export function createSimulatedMhiCard(router: Router, pciAddress: string, options?: SimulatedMhiOptions & MhiQrtrEndpointOptions): SimulatedMhiCard {
  const controller = new SimulatedMhiController(pciAddress, options);
  const { endpoint, attached } = MhiQrtrEndpoint.probe(router, controller, options);
  return { controller, hostEndpoint: endpoint, attached, deviceEndpoint: controller.deviceEndpoint, remove: () => controller.remove() };
}
