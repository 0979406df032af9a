/** One device-tree node: its name with unit address ('wifi@c000000'), properties as raw big-endian bytes, children in order. */
export interface DtNode {
  readonly name: string;
  readonly properties: ReadonlyMap<string, Uint8Array>;
  readonly children: readonly DtNode[];
}

/** A parsed device tree, wherever it came from (a .dtb, /sys/firmware/devicetree/base). */
export interface DeviceTree {
  /** Where it was read from, for errors. */
  readonly source: string;
  readonly root: DtNode;
}

/** The node at `path` ('/reserved-memory'), matching a component with or without its unit address. */
export function nodeAt(tree: DeviceTree, path: string): DtNode | undefined {
  let node: DtNode | undefined = tree.root;
  for (const part of path.split('/').filter(Boolean)) {
    node = node.children.find((c) => c.name === part) ?? node.children.find((c) => c.name.split('@')[0] === part);
    if (!node) return undefined;
  }
  return node;
}

/** Every node, depth first, with its parent (undefined for the root). */
export function* walk(tree: DeviceTree): Generator<{ node: DtNode; parent: DtNode | undefined; path: string }> {
  const stack: { node: DtNode; parent: DtNode | undefined; path: string }[] = [{ node: tree.root, parent: undefined, path: '/' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    yield item;
    for (let i = item.node.children.length - 1; i >= 0; i--) {
      const child = item.node.children[i];
      stack.push({ node: child, parent: item.node, path: item.path === '/' ? `/${child.name}` : `${item.path}/${child.name}` });
    }
  }
}

/** A property as big-endian u32 cells; undefined when absent or not a whole number of cells. */
export function cells(node: DtNode, property: string): number[] | undefined {
  const v = node.properties.get(property);
  if (!v || v.length % 4 !== 0) return undefined;
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return Array.from({ length: v.length / 4 }, (_, i) => view.getUint32(i * 4, false));
}

/** A property as a list of NUL-terminated strings (compatible, status). */
export function strings(node: DtNode, property: string): string[] | undefined {
  const v = node.properties.get(property);
  if (!v) return undefined;
  const text = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
  return text.split('\0').filter((s, i, all) => s.length > 0 || i < all.length - 1);
}
