import { join } from 'node:path';
import { PluginConfigError, type SimulatedDeviceSpec, type SimulationContribution, type SimulationContext, type SimulationHandle } from '../../../src/sdk';
import { createSimulatedCardFrom, writeSimulatedFirmwareDirFrom, type SimulatedCardSpec } from './factory';
import type { SimChipProfile } from './sim-profile';
import type { SimulatedCardMhi } from './simulated-card';
import { readDeviceTree, reservedMemoryOf, simulatedMhiRings } from '../../../src/testing/devices';
import type { ReservedMemoryEntry } from './simulated-host-memory';

/** What a daemon config may set of a simulated card's MHI link. */
const MHI_CONFIG_KEYS = ['rings', 'ringSize', 'ulRingSize', 'dlRingSize', 'bufferLength'];

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

function cardSpec(device: SimulatedDeviceSpec): SimulatedCardSpec & { readonly deviceTree?: string } {
  return device.spec as unknown as SimulatedCardSpec;
}

/**
 * The reserved memory of an AHB card's `deviceTree`, read as the kernel's drivers read it
 * (src/links/devicetree). A tree that cannot be read or lacks the chip's node is a
 * configuration mistake (exit 2), named at the key; the DT error's code and message are kept.
 */
async function deviceTreeMemory(family: string, device: SimulatedDeviceSpec, profile: SimChipProfile): Promise<ReservedMemoryEntry> {
  const file = cardSpec(device).deviceTree!;
  try {
    return reservedMemoryOf(await readDeviceTree(file), { compatible: profile.ahb!.compatible });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new PluginConfigError(family, `${device.at ?? 'simulation.cards[]'}.deviceTree`, `a device tree with an enabled '${profile.ahb!.compatible}' node and its reserved memory (${e.code ?? 'error'}: ${e.message})`, file);
  }
}

/**
 * The daemon's simulated cards of one WLFW family (`simulation.cards[i]` with `family` set to
 * it): synthetic firmware files written before the loader starts, and one simulated card per
 * spec attached over the simulated MHI link and powered on after.
 */
export function wlfwSimulation(family: string, profiles: Readonly<Record<string, SimChipProfile>>): SimulationContribution {
  // Each device's map from its `deviceTree`, read in prepare and used in start (the same spec objects).
  const treeMemory = new WeakMap<SimulatedDeviceSpec, ReservedMemoryEntry>();
  return {
    kind: family,
    validate(spec, at) {
      if (typeof spec.chip !== 'string' || !(spec.chip in profiles)) throw new PluginConfigError(family, `${at}.chip`, `one of ${Object.keys(profiles).join(', ')}`, spec.chip);
      if (typeof spec.pciAddress !== 'string' || !PCI_ADDRESS.test(spec.pciAddress)) throw new PluginConfigError(family, `${at}.pciAddress`, "a PCI address such as '0000:01:00.0'", spec.pciAddress);
      const boardId = spec.boardId;
      if (typeof boardId !== 'number' || !Number.isInteger(boardId) || boardId < 0 || boardId > 0xffff) throw new PluginConfigError(family, `${at}.boardId`, 'an integer 0..65535', boardId);
      if (spec.deviceTree !== undefined) {
        if (!profiles[spec.chip].ahb) throw new PluginConfigError(family, `${at}.deviceTree`, `given only for an AHB chip (${Object.keys(profiles).filter((c) => profiles[c].ahb).join(', ') || 'none in this family'}); ${spec.chip} is a PCI card`, spec.deviceTree);
        if (typeof spec.deviceTree !== 'string' || !spec.deviceTree.startsWith('/')) throw new PluginConfigError(family, `${at}.deviceTree`, 'an absolute path to a .dtb or a device-tree directory', spec.deviceTree);
      }
      if (spec.mhi !== undefined) {
        const mhi = spec.mhi;
        if (typeof mhi !== 'object' || mhi === null || Array.isArray(mhi)) throw new PluginConfigError(family, `${at}.mhi`, '{ rings?, ulRingSize?, dlRingSize?, bufferLength? }', mhi);
        for (const key of Object.keys(mhi)) {
          if (!MHI_CONFIG_KEYS.includes(key)) throw new PluginConfigError(family, `${at}.mhi.${key}`, `one of ${MHI_CONFIG_KEYS.join(', ')}`, key);
        }
        try {
          simulatedMhiRings(mhi as SimulatedCardMhi);
        } catch (err) {
          const key = (err as { details?: { key?: string; expected?: string } }).details;
          throw new PluginConfigError(family, `${at}.mhi.${key?.key ?? ''}`, key?.expected ?? 'valid MHI ring sizes', (mhi as Record<string, unknown>)[key?.key ?? '']);
        }
      }
    },
    async prepare(devices, context: SimulationContext) {
      // Read before anything starts, so that a bad tree refuses the configuration (exit 2).
      for (const d of devices) if (cardSpec(d).deviceTree !== undefined) treeMemory.set(d, await deviceTreeMemory(family, d, profiles[cardSpec(d).chip]));
      const firmwareDir = context.firmwareDir ?? join(context.workDir, 'firmware');
      await writeSimulatedFirmwareDirFrom(profiles, firmwareDir, devices.map(cardSpec));
      context.logger.info({ family, firmwareDir, cards: devices.length }, 'synthetic firmware written for simulated cards');
      // Reserve each card's endpoint before it attaches (the no-race path); in kernel mode the
      // router's endpoint IDs mean nothing to the kernel, and the loader finds cards by lookup.
      return { firmwareDir, ...(context.kernelProvider ? {} : { cards: devices.map((d) => `mhi:${cardSpec(d).pciAddress}`) }) };
    },
    async start(devices, context): Promise<SimulationHandle> {
      const cards = devices.map((d) => {
        const { deviceTree: _, ...spec } = cardSpec(d);
        const reservedMemory = treeMemory.get(d);
        return createSimulatedCardFrom(profiles, reservedMemory ? { ...spec, reservedMemory } : spec);
      });
      for (const card of cards) {
        card.attach(context.router);
        card.powerOn();
      }
      return { stop: () => cards.forEach((card) => card.detach()) };
    },
  };
}
