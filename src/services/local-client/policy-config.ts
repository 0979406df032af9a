import { DEFAULT_POLICY, type LocalClientPolicyConfig, type PolicyGrant } from './policy';

/** Reports one invalid key (the config module throws its ConfigError). */
export type PolicyConfigFail = (key: string, expected: string, actual: unknown) => never;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates the config's `policy` section (docs/security.md) over the defaults.
 * Self-contained so that the config module needs only one call.
 */
export function parsePolicyConfig(raw: unknown, fail: PolicyConfigFail, base: LocalClientPolicyConfig = DEFAULT_POLICY): LocalClientPolicyConfig {
  if (raw === undefined) return base;
  if (!isObject(raw)) fail('policy', 'an object', raw);
  const known = ['socketMode', 'socketGroup', 'grants', 'defaultReservations', 'perUid'];
  for (const key of Object.keys(raw)) if (!known.includes(key)) fail(`policy.${key}`, `one of ${known.join(', ')}`, key);
  const int = (obj: Record<string, unknown>, key: string, path: string, min: number, max: number): number | undefined => {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `an integer ${min}..${max}`, v);
    return v;
  };
  const ids = (obj: Record<string, unknown>, key: string, path: string): number[] | undefined => {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x) || x < 0 || x > 0xfffffffe)) fail(path, 'an array of numeric ids', v);
    return v as number[];
  };
  const socketGroup = raw.socketGroup === null ? null : int(raw, 'socketGroup', 'policy.socketGroup', 0, 0xfffffffe);
  let grants = base.grants;
  if (raw.grants !== undefined) {
    if (!Array.isArray(raw.grants)) fail('policy.grants', 'an array of grants', raw.grants);
    grants = raw.grants.map((g: unknown, i: number): PolicyGrant => {
      const path = `policy.grants[${i}]`;
      if (!isObject(g)) fail(path, 'an object', g);
      const keys = ['uids', 'gids', 'endpoints', 'trace', 'control', 'reservations', 'publish'];
      for (const key of Object.keys(g)) if (!keys.includes(key)) fail(`${path}.${key}`, `one of ${keys.join(', ')}`, key);
      const endpoints = g.endpoints;
      if (endpoints !== undefined && (!Array.isArray(endpoints) || endpoints.some((e) => typeof e !== 'string' || !e))) fail(`${path}.endpoints`, 'an array of key patterns', endpoints);
      for (const flag of ['trace', 'control']) if (g[flag] !== undefined && typeof g[flag] !== 'boolean') fail(`${path}.${flag}`, 'true or false', g[flag]);
      const uids = ids(g, 'uids', `${path}.uids`);
      const gids = ids(g, 'gids', `${path}.gids`);
      if (!uids?.length && !gids?.length) fail(path, 'a grant naming uids or gids', g);
      return { uids, gids, endpoints: endpoints as string[] | undefined, trace: g.trace as boolean | undefined, control: g.control as boolean | undefined, reservations: int(g, 'reservations', `${path}.reservations`, 0, 4096), publish: ids(g, 'publish', `${path}.publish`) };
    });
  }
  let perUid = base.perUid;
  if (raw.perUid !== undefined) {
    const p = raw.perUid;
    if (!isObject(p)) fail('policy.perUid', 'an object', p);
    const keys = Object.keys(base.perUid);
    for (const key of Object.keys(p)) if (!keys.includes(key)) fail(`policy.perUid.${key}`, `one of ${keys.join(', ')}`, key);
    perUid = {
      connections: int(p, 'connections', 'policy.perUid.connections', 1, 4096) ?? base.perUid.connections,
      sockets: int(p, 'sockets', 'policy.perUid.sockets', 1, 65536) ?? base.perUid.sockets,
      lookups: int(p, 'lookups', 'policy.perUid.lookups', 1, 4096) ?? base.perUid.lookups,
      reservations: int(p, 'reservations', 'policy.perUid.reservations', 0, 4096) ?? base.perUid.reservations,
      queuedBytes: int(p, 'queuedBytes', 'policy.perUid.queuedBytes', 4096, 2 ** 31) ?? base.perUid.queuedBytes,
    };
  }
  return {
    socketMode: int(raw, 'socketMode', 'policy.socketMode', 0, 0o777) ?? base.socketMode,
    socketGroup: socketGroup === undefined ? base.socketGroup : socketGroup,
    grants,
    defaultReservations: int(raw, 'defaultReservations', 'policy.defaultReservations', 0, 4096) ?? base.defaultReservations,
    perUid,
  };
}
