import { DEFAULT_ENDPOINT_ID_LIMITS, type EndpointIdLimits } from './endpoint-ids';

export interface RouterLimits extends EndpointIdLimits {
  /** Node ids one endpoint may present (its own plus bridged ones). */
  readonly nodesPerEndpoint: number;
  /** Datagrams a socket queues while nobody consumes them. */
  readonly socketQueueLength: number;
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
    sendWaitersPerFlow: 65536,
  },
  strictDestinationNode: false,
};
