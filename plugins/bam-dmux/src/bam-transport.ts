/**
 * The two BAM DMA pipes between host and modem, as the data plane sees them.
 *
 * A real implementation drives the BAM "rx" and "tx" DMA channels (e.g. through
 * a kernel driver or UIO); the simulator's in-memory implementation lives in
 * `plugins/bam-dmux/sim/memory-bam-transport.ts`. Completions are plain
 * callbacks, like DMA completion interrupts: the data plane does its per-buffer
 * work synchronously inside them and never allocates a Promise per packet.
 *
 * Ownership: a buffer passed to {@link postRx} or {@link submitTx} belongs to
 * the transport until it is completed or cancelled; the host does not touch
 * its bytes in between, and the transport does not touch them afterwards.
 */
export interface BamTransport {
  /** Registers the completion sink; returns the detach function. One sink at a time. */
  attach(sink: BamTransportSink): () => void;
  /** Posts an empty receive buffer. The modem side fills posted buffers in posting order. */
  postRx(slot: number, buffer: Uint8Array): void;
  /** Takes back every posted, unfilled receive buffer (RX pipe shut down). No completions follow for them. */
  cancelRx(): void;
  /** Queues one framed transfer. The modem side consumes descriptors in submission order. */
  submitTx(slot: number, frame: Uint8Array): void;
  /** Abandons every submitted, uncompleted transfer. No completions follow for them. */
  cancelTx(): void;
}

/** Completion callbacks from a {@link BamTransport} to the data plane. */
export interface BamTransportSink {
  /** The receive buffer posted as `slot` now holds `length` bytes from the modem. */
  rxComplete(slot: number, length: number): void;
  /** The transfer submitted as `slot` has been consumed by the modem. */
  txComplete(slot: number): void;
}
