import { DeviceTreeMalformedError } from './errors';
import type { DeviceTree, DtNode } from './tree';

/** FDT header magic (Devicetree Specification v0.4, 5.2 "Header"). */
export const FDT_MAGIC = 0xd00dfeed;
/** Struct-block tokens (5.4.1). */
export const FdtToken = { BEGIN_NODE: 1, END_NODE: 2, PROP: 3, NOP: 4, END: 9 } as const;
/** struct fdt_header: ten big-endian u32s. */
const HEADER_SIZE = 40;
/** The oldest layout with size_dt_struct (v17) and the v16 it is backwards compatible with (last_comp_version). */
const LAST_COMPATIBLE_VERSION = 16;
/** A deeper tree is not a device tree anyone ships; refuse rather than recurse without end. */
const MAX_DEPTH = 64;

/**
 * Parses a flattened device tree (.dtb, /sys/firmware/fdt) as the Devicetree Specification's
 * chapter 5 lays it out: header, memory reservation block (skipped), struct block of
 * BEGIN_NODE/END_NODE/PROP/NOP/END tokens, strings block. Every offset and length is checked
 * against the blob before it is read.
 * @throws DeviceTreeMalformedError naming the byte offset of the first inconsistency.
 */
export function parseFdt(blob: Uint8Array, source = 'dtb'): DeviceTree {
  const fail = (offset: number, reason: string): never => {
    throw new DeviceTreeMalformedError(source, offset, reason);
  };
  if (blob.length < HEADER_SIZE) fail(0, `${blob.length} bytes is shorter than the ${HEADER_SIZE}-byte FDT header`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const u32 = (at: number): number => view.getUint32(at, false);
  if (u32(0) !== FDT_MAGIC) fail(0, `magic 0x${u32(0).toString(16)}, expected 0x${FDT_MAGIC.toString(16)}`);
  const totalSize = u32(4);
  const offStruct = u32(8);
  const offStrings = u32(12);
  const version = u32(20);
  const lastComp = u32(24);
  const sizeStrings = u32(32);
  const sizeStruct = u32(36);
  if (totalSize > blob.length) fail(4, `totalsize ${totalSize} is more than the ${blob.length} bytes given`);
  if (totalSize < HEADER_SIZE) fail(4, `totalsize ${totalSize} is shorter than the header`);
  if (version < 17 || lastComp > 17 || lastComp < LAST_COMPATIBLE_VERSION) fail(20, `version ${version} (last compatible ${lastComp}); version 17 layout required`);
  if (offStruct < HEADER_SIZE || offStruct % 4 !== 0 || offStruct + sizeStruct > totalSize) fail(8, `struct block ${offStruct}+${sizeStruct} outside the blob (${totalSize})`);
  if (offStrings < HEADER_SIZE || offStrings + sizeStrings > totalSize) fail(12, `strings block ${offStrings}+${sizeStrings} outside the blob (${totalSize})`);

  const structEnd = offStruct + sizeStruct;
  const stringAt = (nameoff: number, at: number): string => {
    if (nameoff >= sizeStrings) fail(at, `property name offset ${nameoff} outside the ${sizeStrings}-byte strings block`);
    const start = offStrings + nameoff;
    const end = blob.indexOf(0, start);
    if (end < 0 || end >= offStrings + sizeStrings) fail(at, `property name at strings offset ${nameoff} is not NUL-terminated inside the block`);
    return Buffer.from(blob.buffer, blob.byteOffset + start, end - start).toString('latin1');
  };
  const align = (n: number): number => (n + 3) & ~3;

  interface Building { name: string; properties: Map<string, Uint8Array>; children: DtNode[]; sawChild: boolean }
  const stack: Building[] = [];
  let root: DtNode | undefined;
  let at = offStruct;
  for (;;) {
    if (at + 4 > structEnd) fail(at, 'struct block ends without FDT_END');
    const token = u32(at);
    const tokenAt = at;
    at += 4;
    if (token === FdtToken.NOP) continue;
    if (token === FdtToken.BEGIN_NODE) {
      if (root) fail(tokenAt, 'a second root node');
      if (stack.length >= MAX_DEPTH) fail(tokenAt, `nodes nested deeper than ${MAX_DEPTH}`);
      const end = blob.indexOf(0, at);
      if (end < 0 || end >= structEnd) fail(at, 'node name is not NUL-terminated inside the struct block');
      const name = Buffer.from(blob.buffer, blob.byteOffset + at, end - at).toString('latin1');
      if (stack.length === 0 && name !== '') fail(at, `root node named '${name}'; the root's name is empty`);
      if (stack.length > 0 && name === '') fail(at, 'a child node without a name');
      at = align(end + 1);
      const parent = stack[stack.length - 1];
      if (parent) parent.sawChild = true;
      stack.push({ name, properties: new Map(), children: [], sawChild: false });
      continue;
    }
    if (token === FdtToken.END_NODE) {
      const done = stack.pop();
      if (!done) fail(tokenAt, 'FDT_END_NODE without an open node');
      const node: DtNode = { name: done!.name, properties: done!.properties, children: done!.children };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(node);
      else root = node;
      continue;
    }
    if (token === FdtToken.PROP) {
      const node = stack[stack.length - 1];
      if (!node) fail(tokenAt, 'FDT_PROP outside any node');
      // Properties precede subnodes (5.4.1): dtc and libfdt never write otherwise.
      if (node.sawChild) fail(tokenAt, 'FDT_PROP after a subnode');
      if (at + 8 > structEnd) fail(at, 'property header runs past the struct block');
      const len = u32(at);
      const nameoff = u32(at + 4);
      at += 8;
      if (len > structEnd - at) fail(at - 8, `property length ${len} runs past the struct block`);
      const name = stringAt(nameoff, at - 4);
      if (node.properties.has(name)) fail(tokenAt, `property '${name}' twice in node '${node.name}'`);
      node.properties.set(name, blob.subarray(at, at + len));
      at = align(at + len);
      continue;
    }
    if (token === FdtToken.END) {
      if (stack.length > 0) fail(tokenAt, `FDT_END with ${stack.length} node(s) still open`);
      if (!root) fail(tokenAt, 'FDT_END before any node');
      return { source, root: root! };
    }
    fail(tokenAt, `unknown struct token 0x${token.toString(16)}`);
  }
}
