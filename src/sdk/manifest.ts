import { PluginManifestError } from './errors';
import type { Plugin, PluginManifest } from './plugin';

const NAME = /^[a-z][a-z0-9-]{0,63}$/;
const SEMVER = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const KEY_PATTERN = /^(\*|[a-z*][a-z0-9-]*:.+)$/;

/**
 * Checks a manifest's shape; throws PluginManifestError naming the first bad field.
 * Called by the host on load and by the compliance kit.
 */
export function validateManifest(manifest: PluginManifest): void {
  const name = typeof manifest?.name === 'string' ? manifest.name : '<unnamed>';
  if (typeof manifest?.name !== 'string' || !NAME.test(manifest.name)) {
    throw new PluginManifestError(name, 'name', 'a lowercase name matching /^[a-z][a-z0-9-]{0,63}$/', manifest?.name);
  }
  if (typeof manifest.version !== 'string' || !SEMVER.test(manifest.version)) {
    throw new PluginManifestError(name, 'version', 'a semver string such as 1.2.3', manifest.version);
  }
  if (!Array.isArray(manifest.qmiServices)) throw new PluginManifestError(name, 'qmiServices', 'an array', manifest.qmiServices);
  manifest.qmiServices.forEach((s, i) => {
    if (!Number.isInteger(s?.service) || s.service < 0 || s.service > 0xffffffff) {
      throw new PluginManifestError(name, `qmiServices[${i}].service`, 'a u32 service id', s?.service);
    }
    if (s.version !== undefined && (!Number.isInteger(s.version) || s.version < 0 || s.version > 0xff)) {
      throw new PluginManifestError(name, `qmiServices[${i}].version`, 'a u8 version', s.version);
    }
    if (s.instances !== undefined && (!Array.isArray(s.instances) || !s.instances.every((n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffff))) {
      throw new PluginManifestError(name, `qmiServices[${i}].instances`, 'an array of 24-bit instance ids', s.instances);
    }
    if (s.role !== 'client' && s.role !== 'server') throw new PluginManifestError(name, `qmiServices[${i}].role`, "'client' or 'server'", s.role);
  });
  if (!Array.isArray(manifest.backendKeys) || !manifest.backendKeys.every((k) => typeof k === 'string' && KEY_PATTERN.test(k))) {
    throw new PluginManifestError(name, 'backendKeys', "an array of 'kind:key' patterns such as 'mhi:*'", manifest.backendKeys);
  }
}

/** Type guard for a module's `plugin` export. */
export function isPlugin(value: unknown): value is Plugin {
  const v = value as Partial<Plugin> | undefined;
  return !!v && typeof v === 'object' && typeof v.manifest === 'object' && !!v.module && typeof (v.module as { registry?: unknown }).registry === 'function';
}
