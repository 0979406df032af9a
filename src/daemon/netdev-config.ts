import { QrtrdError } from '../common/errors';
import { BAM_DMUX_MAX_MTU, type NetdevConfig } from '../sdk/netdev';

export { BAM_DMUX_MAX_MTU, QMAP_HEADER_OVERHEAD, type NetdevConfig } from '../sdk/netdev';

export function defaultNetdevConfig(mode: NetdevConfig['mode'] = 'raw-ip'): NetdevConfig {
  return { mode, name: mode === 'raw-ip' ? 'wwan%d' : 'rmnet_data%d', mtu: 1500 };
}

/** The `netdev` configuration section has a value qrtrd cannot use. */
export class NetdevConfigError extends QrtrdError {
  constructor(key: string, expected: string, actual: unknown, source: string) {
    super('QRTRD_CONFIG_INVALID', `${source}: 'netdev.${key}' must be ${expected}, got ${JSON.stringify(actual)}`, { key: `netdev.${key}`, expected, source });
  }
}

/** Validates `netdev` (true, false/null, or an object of the keys above). */
export function parseNetdevConfig(raw: unknown, source: string): NetdevConfig | null {
  if (raw === undefined || raw === null || raw === false) return null;
  if (raw === true) return defaultNetdevConfig();
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new NetdevConfigError('(section)', 'true, false, null or an object', raw, source);
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!['mode', 'name', 'mtu'].includes(key)) throw new NetdevConfigError(key, 'one of mode, name, mtu', key, source);
  const mode = r.mode ?? 'raw-ip';
  if (mode !== 'raw-ip' && mode !== 'qmap') throw new NetdevConfigError('mode', "'raw-ip' or 'qmap'", mode, source);
  const base = defaultNetdevConfig(mode);
  const name = r.name ?? base.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]*(%d)?[A-Za-z0-9_.-]*$/.test(name) || name.length === 0 || name.length > 15) {
    throw new NetdevConfigError('name', 'an interface name or pattern with one %d, at most 15 characters', name, source);
  }
  const mtu = r.mtu ?? base.mtu;
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > BAM_DMUX_MAX_MTU) throw new NetdevConfigError('mtu', `an integer 68..${BAM_DMUX_MAX_MTU}`, mtu, source);
  return { mode, name, mtu };
}
