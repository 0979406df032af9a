import { Container, ContainerModule, type interfaces } from 'inversify';
import { z } from 'zod';
import type { BackendContribution } from '../router/backend-contribution';
import { RpmsgBackend } from './rpmsg/rpmsg-backend';
import { LinkConfigError } from './errors';
import type { BackendLogger } from './logger';
import { closestKey } from '../common/closest-key';

/** One `links[i]` entry of the daemon's configuration: a kind and that kind's keys. */
export interface LinkConfig {
  readonly kind: string;
  readonly [key: string]: unknown;
}

/**
 * A kind of link the configuration can ask for (`{ "kind": "rpmsg", "device": "/dev/rpmsg0" }`).
 * Each link folder binds its factory to LINK_FACTORY in its module; the daemon looks the kind
 * up, so adding a link kind touches only its folder and the list in {@link builtInLinksModule}.
 */
export interface LinkFactory {
  readonly kind: string;
  /**
   * The entry's schema (see {@link linkSchema}): strict, `kind` the literal of this kind, each key
   * described. The daemon's configuration schema is the union of the bound factories' schemas,
   * so a misspelt key is refused with the closest valid one before anything starts, and the
   * JSON Schema editors read knows each kind's keys.
   */
  readonly schema: z.ZodObject;
  /**
   * Checks the entry and builds the backend that opens the link when the daemon starts.
   * @throws LinkConfigError naming the key (`links[2].device`).
   */
  create(config: LinkConfig, at: string, logger: BackendLogger): BackendContribution;
}
export const LINK_FACTORY: interfaces.ServiceIdentifier<LinkFactory> = Symbol.for('qrtrd.LinkFactory');

/** `one of a, b, c`, with the one a typo most likely meant. */
function oneOf(known: readonly string[], word: string): string {
  const meant = closestKey(word, known);
  return `one of ${known.join(', ')}${meant ? ` (did you mean '${meant}'?)` : ''}`;
}

/** The factories bound to LINK_FACTORY in `container`. */
export function boundLinkFactories(container: interfaces.Container): LinkFactory[] {
  return container.isBound(LINK_FACTORY) ? container.getAll(LINK_FACTORY) : [];
}

/** The factories the given modules bind (the daemon's configuration check uses the modules the daemon loads). */
export function linkFactoriesOf(...modules: interfaces.ContainerModule[]): LinkFactory[] {
  const container = new Container();
  container.load(...modules);
  return boundLinkFactories(container);
}

/**
 * A link kind's entry schema: `{ kind: <kind>, ...keys }`, strict. `keys` are zod schemas, each
 * with its description (`.meta({ description })`) for docs/config.md and the JSON Schema.
 */
export function linkSchema(kind: string, keys: Record<string, z.ZodType>, description: string, rules: readonly LinkKeyRule[] = []): z.ZodObject {
  return z
    .strictObject({ kind: z.literal(kind).meta({ description: `'${kind}'` }), ...keys })
    .superRefine((entry, ctx) => {
      for (const rule of rules) {
        const broken = rule(entry as Record<string, unknown>);
        if (broken) ctx.addIssue({ code: 'custom', path: [broken.key], message: broken.expected, input: (entry as Record<string, unknown>)[broken.key] });
      }
    })
    .meta({ description });
}

/** A rule between keys of one entry (`device` or `fd`, not both): the key to name and what it must be, or null. */
export type LinkKeyRule = (entry: Record<string, unknown>) => { key: string; expected: string } | null;

/**
 * Exactly one of `keys` is given. An entry with none is named at the first key and told every
 * alternative; one with several is named at the second one given.
 */
export function exactlyOneOf(...keys: string[]): LinkKeyRule {
  return (entry) => {
    const given = keys.filter((k) => entry[k] !== undefined);
    if (given.length === 1) return null;
    if (given.length > 1) return { key: given[1], expected: `given alone (not with '${given[0]}')` };
    const quoted = keys.map((k) => `'${k}'`);
    return { key: keys[0], expected: `given, or ${quoted.slice(1).join(' or ')} instead (one of ${quoted.join(', ')} is needed)` };
  };
}

/** The keys a kind's entry may hold (`kind` first). */
export function linkKeys(factory: LinkFactory): string[] {
  return Object.keys(factory.schema.shape);
}

/**
 * Builds the configured links with the bound factories; refuses unknown kinds and unknown keys
 * (the daemon's configuration check has refused them already; this is the boundary for a caller
 * that builds links without it).
 */
export function createConfiguredLinks(container: interfaces.Container, links: readonly LinkConfig[], logger: BackendLogger): BackendContribution[] {
  const factories = new Map(boundLinkFactories(container).map((f) => [f.kind, f]));
  return links.map((link, i) => {
    const at = `links[${i}]`;
    const factory = factories.get(link.kind);
    if (!factory) throw new LinkConfigError(`${at}.kind`, oneOf([...factories.keys()], link.kind), link.kind);
    const keys = linkKeys(factory);
    for (const key of Object.keys(link)) if (!keys.includes(key)) throw new LinkConfigError(`${at}.${key}`, oneOf(keys, key), key);
    return factory.create(link, at, logger);
  });
}

/** Binds one factory (each link folder's module uses it). */
export function linkFactoryModule(factory: LinkFactory): ContainerModule {
  return new ContainerModule((bind) => {
    bind(LINK_FACTORY).toConstantValue(factory);
  });
}

/** Where a message device is: a path to open, or a descriptor the process inherited (a stand-in). */
export function devicePlace(config: LinkConfig, at: string, pathKey: string): { path: string } | { fd: number } {
  const path = config[pathKey];
  const fd = config.fd;
  if ((path === undefined) === (fd === undefined)) throw new LinkConfigError(`${at}.${pathKey}`, `a device path, or 'fd' (an inherited descriptor) instead`, path ?? null);
  if (path !== undefined) {
    if (typeof path !== 'string' || !path.startsWith('/')) throw new LinkConfigError(`${at}.${pathKey}`, 'an absolute device path', path);
    return { path };
  }
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) throw new LinkConfigError(`${at}.fd`, 'a file descriptor number', fd);
  return { fd };
}

/** An absolute path (a device node). */
export function devicePathKey(description: string, hint = 'an absolute device path'): z.ZodOptional<z.ZodString> {
  return z.string({ error: hint }).startsWith('/', { error: hint }).optional().meta({ description });
}

/** The keys every message-device kind takes besides its own. */
export const MESSAGE_DEVICE_KEYS = {
  fd: z.int({ error: 'a file descriptor number' }).min(0, { error: 'a file descriptor number' }).optional().meta({ description: 'an inherited descriptor carrying one packet per read/write, instead of device' }),
  maxPacketLength: z.int({ error: 'an integer >= 64' }).min(64, { error: 'an integer >= 64' }).optional().meta({ description: 'largest packet the device carries in one message' }),
};

/**
 * The backend of a character device that carries one QRTR packet per read and write (rpmsg,
 * MHI IPCR): the device path or descriptor and the packet limit checked, keyed `<kind>:<name>`.
 */
export function messageDeviceBackend(kind: string, config: LinkConfig, at: string, name: string | undefined, logger: BackendLogger): BackendContribution {
  const place = devicePlace(config, at, 'device');
  if ('fd' in place && name === undefined) throw new LinkConfigError(`${at}.name`, "a name (required with 'fd')", name);
  const max = config.maxPacketLength;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 64)) throw new LinkConfigError(`${at}.maxPacketLength`, 'an integer >= 64', max);
  return new RpmsgBackend({ kind, devices: [{ ...place, name }], tolerateMissing: false, logger, ...(max !== undefined ? { maxPacketLength: max as number } : {}) });
}
