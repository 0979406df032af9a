import { TunBridgeConfigError, TunNodeRangeExhaustedError } from './errors';

/** One (endpoint, node) behind qrtrd and the node id the kernel knows it by. */
export interface NodeTranslation {
  /** Endpoint of the in-process router (1 = local services). */
  readonly endpoint: number;
  /** Node id on that endpoint. */
  readonly node: number;
  /** Node id presented to the kernel. */
  readonly kernelNode: number;
}

/**
 * The stable mapping between (endpoint, node) pairs behind qrtrd and node ids in a
 * range presented to the kernel. Two endpoints presenting the same node id (two
 * identical cards, both node 7) get two distinct kernel node ids. Allocation goes
 * round the range so a just-released id is not reused at once: a kernel client still
 * holding it would otherwise reach the wrong device.
 */
export class NodeTranslationTable {
  private readonly byKernelNode = new Map<number, NodeTranslation>();
  private readonly byEndpointNode = new Map<string, NodeTranslation>();
  private cursor: number;

  constructor(
    readonly first: number,
    readonly last: number,
  ) {
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 2 || last > 0xfffffffd || last < first) {
      throw new TunBridgeConfigError('nodeRange', 'needs integers 2 <= first <= last < 0xfffffffe', { first, last });
    }
    this.cursor = first;
  }

  get size(): number {
    return this.byKernelNode.size;
  }

  /** The kernel node id for (endpoint, node), allocating one if needed. */
  acquire(endpoint: number, node: number): NodeTranslation {
    const existing = this.byEndpointNode.get(key(endpoint, node));
    if (existing) return existing;
    const span = this.last - this.first + 1;
    if (this.byKernelNode.size >= span) throw new TunNodeRangeExhaustedError(this.first, this.last, endpoint, node);
    let candidate = this.cursor;
    while (this.byKernelNode.has(candidate)) candidate = candidate === this.last ? this.first : candidate + 1;
    this.cursor = candidate === this.last ? this.first : candidate + 1;
    const translation: NodeTranslation = { endpoint, node, kernelNode: candidate };
    this.byKernelNode.set(candidate, translation);
    this.byEndpointNode.set(key(endpoint, node), translation);
    return translation;
  }

  /** The existing translation of (endpoint, node), if any. */
  find(endpoint: number, node: number): NodeTranslation | undefined {
    return this.byEndpointNode.get(key(endpoint, node));
  }

  /** What a kernel node id stands for, if it is one of ours. */
  resolve(kernelNode: number): NodeTranslation | undefined {
    return this.byKernelNode.get(kernelNode);
  }

  /** Releases every translation of an endpoint (it detached); returns them. */
  releaseEndpoint(endpoint: number): NodeTranslation[] {
    const released: NodeTranslation[] = [];
    for (const translation of this.byKernelNode.values()) {
      if (translation.endpoint !== endpoint) continue;
      released.push(translation);
    }
    for (const t of released) {
      this.byKernelNode.delete(t.kernelNode);
      this.byEndpointNode.delete(key(t.endpoint, t.node));
    }
    return released;
  }

  entries(): NodeTranslation[] {
    return [...this.byKernelNode.values()].sort((a, b) => a.kernelNode - b.kernelNode);
  }
}

function key(endpoint: number, node: number): string {
  return `${endpoint}:${node}`;
}
