import { QrtrBackendError } from '../errors';

/** Every node id of the translation range is in use: the (endpoint, node) cannot be presented to the kernel. */
export class TunNodeRangeExhaustedError extends QrtrBackendError {
  constructor(first: number, last: number, endpoint: number, node: number) {
    super('TUN_NODE_RANGE_EXHAUSTED', `No free node id in ${first}..${last} to present node ${node} of endpoint ${endpoint} to the kernel`, {
      first,
      last,
      endpoint,
      node,
    });
  }
}

/** The bridge's configuration is unusable (node ids overlapping, the kernel's own node, a bad range). */
export class TunBridgeConfigError extends QrtrBackendError {
  constructor(field: string, reason: string, value: unknown) {
    super('TUN_BRIDGE_CONFIG', `TUN bridge ${field}: ${reason} (got ${JSON.stringify(value)})`, { field, value });
  }
}
