import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeviceTreeMalformedError } from './errors';
import { parseFdt } from './fdt';
import type { DeviceTree, DtNode } from './tree';

/** The kernel's view of the tree it booted with (same content as /proc/device-tree). */
export const KERNEL_DEVICE_TREE = '/sys/firmware/devicetree/base';
const MAX_DEPTH = 64;
/** A property larger than this is not one a device-tree reader has business loading whole. */
const MAX_PROPERTY = 1024 * 1024;

/**
 * Reads the directory form of a device tree: one directory per node (named as the node, with
 * its unit address), one file per property holding its raw big-endian bytes. That is what the
 * kernel exposes at /sys/firmware/devicetree/base (drivers/of/kobj.c) and what `dtc -O fs` writes.
 * Symbolic links are not followed (the kernel's tree has none).
 * @throws DeviceTreeMalformedError when `dir` is not a directory or an entry is neither file nor directory.
 */
export async function readDeviceTreeDir(dir: string): Promise<DeviceTree> {
  const stat = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => {
    throw new DeviceTreeMalformedError(dir, 0, `cannot read: ${err.code ?? err.message}`);
  });
  if (!stat.isDirectory()) throw new DeviceTreeMalformedError(dir, 0, 'not a directory');
  return { source: dir, root: await readNode(dir, dir, '', 0) };
}

async function readNode(source: string, dir: string, name: string, depth: number): Promise<DtNode> {
  if (depth > MAX_DEPTH) throw new DeviceTreeMalformedError(source, 0, `nodes nested deeper than ${MAX_DEPTH} at ${dir}`);
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const properties = new Map<string, Uint8Array>();
  const children: DtNode[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) children.push(await readNode(source, full, e.name, depth + 1));
    else if (e.isFile()) {
      const st = await fs.stat(full);
      if (st.size > MAX_PROPERTY) throw new DeviceTreeMalformedError(source, 0, `property ${full} is ${st.size} bytes`);
      properties.set(e.name, new Uint8Array(await fs.readFile(full)));
    } else if (!e.isSymbolicLink()) throw new DeviceTreeMalformedError(source, 0, `${full} is neither a property file nor a node directory`);
  }
  return { name, properties, children };
}

/** A device tree from `file`: the directory form when it is a directory, else a flattened blob (.dtb). */
export async function readDeviceTree(file: string): Promise<DeviceTree> {
  const stat = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new DeviceTreeMalformedError(file, 0, `cannot read: ${err.code ?? err.message}`);
  });
  if (stat.isDirectory()) return readDeviceTreeDir(file);
  return parseFdt(new Uint8Array(await fs.readFile(file)), file);
}
