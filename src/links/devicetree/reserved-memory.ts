import type { DeviceReservedMemory, ReservedMemoryRegion } from '../../router/device-control';
import { DeviceTreeMissingError } from './errors';
import { cells, strings, walk, type DeviceTree, type DtNode } from './tree';

/** Which node is the device: its DT compatible ('qcom,ipq6018-wifi'), or its full path. */
export type DtDeviceSelector = { readonly compatible: string } | { readonly path: string };

/** #address-cells / #size-cells defaults when a parent does not say (Devicetree Specification 2.3.5). */
const DEFAULT_ADDRESS_CELLS = 2;
const DEFAULT_SIZE_CELLS = 1;

/**
 * The device's reserved memory as the kernel's drivers see it: every node under
 * /reserved-memory with its `reg` (address and size in the cells the reserved-memory node
 * declares), the device node's `memory-region` phandles resolved to those regions (index 0 is
 * what of_reserved_mem_region_to_resource(dev->of_node, 0, ...) gives ath11k/ath12k for
 * HOST_DDR), and its qcom,bdf-addr / qcom,caldb-addr / qcom,m3-dump-addr u32 properties
 * (ath11k_qmi_assign_target_mem_chunk).
 * @throws DeviceTreeMissingError when the device node is not there, a memory-region phandle
 * names no node, or a region it names has no usable `reg`.
 */
export function reservedMemoryOf(tree: DeviceTree, device: DtDeviceSelector): DeviceReservedMemory {
  const parents = new Map<DtNode, DtNode | undefined>();
  const byPhandle = new Map<number, DtNode>();
  let node: DtNode | undefined;
  let reservedMemory: DtNode | undefined;
  for (const { node: n, parent, path } of walk(tree)) {
    parents.set(n, parent);
    const ph = cells(n, 'phandle') ?? cells(n, 'linux,phandle');
    if (ph?.length === 1) byPhandle.set(ph[0], n);
    if (parent === tree.root && n.name === 'reserved-memory') reservedMemory = n;
    const matches = 'path' in device ? path === device.path : strings(n, 'compatible')?.includes(device.compatible) && strings(n, 'status')?.[0] !== 'disabled';
    if (matches && !node) node = n;
  }
  const what = 'path' in device ? `node ${device.path}` : `an enabled node compatible with '${device.compatible}'`;
  if (!node) throw new DeviceTreeMissingError(tree.source, `no ${what}`);

  const regionOf = (r: DtNode): ReservedMemoryRegion => {
    const parent = parents.get(r);
    const ac = (parent && cells(parent, '#address-cells')?.[0]) ?? DEFAULT_ADDRESS_CELLS;
    const sc = (parent && cells(parent, '#size-cells')?.[0]) ?? DEFAULT_SIZE_CELLS;
    const reg = cells(r, 'reg');
    if (!reg || reg.length < ac + sc || ac < 1 || ac > 2 || sc < 1 || sc > 2) {
      throw new DeviceTreeMissingError(tree.source, `reserved-memory node ${r.name} has no reg of ${ac} address and ${sc} size cells`);
    }
    const num = (from: number, n: number): bigint => (n === 2 ? (BigInt(reg[from]) << 32n) | BigInt(reg[from + 1]) : BigInt(reg[from]));
    const size = num(ac, sc);
    if (size === 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) throw new DeviceTreeMissingError(tree.source, `reserved-memory node ${r.name} has size ${size}`);
    return { name: r.name, busAddress: num(0, ac), size: Number(size) };
  };

  const regions = (reservedMemory?.children ?? []).filter((r) => r.properties.has('reg')).map(regionOf);
  const memoryRegions = (cells(node, 'memory-region') ?? []).map((ph) => {
    const target = byPhandle.get(ph);
    if (!target) throw new DeviceTreeMissingError(tree.source, `${node!.name} memory-region phandle 0x${ph.toString(16)} names no node`);
    return regionOf(target);
  });
  for (const r of memoryRegions) if (!regions.some((x) => x.busAddress === r.busAddress && x.size === r.size)) regions.push(r);
  // By address: a directory listing (the kernel's form) has no node order to keep.
  regions.sort((a, b) => (a.busAddress < b.busAddress ? -1 : a.busAddress > b.busAddress ? 1 : 0));
  const u32 = (p: string): bigint | undefined => {
    const v = cells(node!, p);
    return v?.length === 1 ? BigInt(v[0]) : undefined;
  };
  return {
    regions,
    memoryRegion: memoryRegions[0],
    bdf: u32('qcom,bdf-addr'),
    caldb: u32('qcom,caldb-addr'),
    m3Dump: u32('qcom,m3-dump-addr'),
  };
}
