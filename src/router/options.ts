import { DEFAULT_ENDPOINT_ID_LIMITS, type EndpointIdLimits } from './endpoint-ids';

export interface RouterLimits extends EndpointIdLimits {
  /** Node ids one endpoint may present (its own plus bridged ones). */
  readonly nodesPerEndpoint: number;
  /** Datagrams a socket queues while nobody consumes them. */
  readonly socketQueueLength: number;
  /**
   * Payload bytes a socket queues while nobody consumes them (issue #18: a reader that
   * never returns credit must not grow the daemon by 4096 x 64 KiB). An empty queue
   * always takes one datagram, so a bound below 64 KiB cannot wedge a socket.
   */
  readonly socketQueueBytes: number;
  /** Senders that may wait on one remote port's flow control. */
  readonly sendWaitersPerFlow: number;
}

export interface RouterOptions {
  /** This router's node id (the kernel's qrtr_local_nid; 1 by default). */
  readonly localNode: number;
  readonly limits: RouterLimits;
  /**
   * Drop received packets whose destination node is neither ours nor broadcast.
   * Mainline never checks dst_node (reference §7.1 #19); qrtrd counts such
   * packets as `misaddressed` and, with this set, drops them too.
   */
  readonly strictDestinationNode: boolean;
}

export const DEFAULT_ROUTER_OPTIONS: RouterOptions = {
  localNode: 1,
  limits: {
    ...DEFAULT_ENDPOINT_ID_LIMITS,
    nodesPerEndpoint: 256,
    socketQueueLength: 4096,
    // 16 datagrams of the largest size, 4096 of 256 bytes; the kernel's default rmem is ~208 KiB.
    socketQueueBytes: 1024 * 1024,
    sendWaitersPerFlow: 65536,
  },
  strictDestinationNode: false,
};
