import { ContainerModule, type interfaces } from 'inversify';
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
  /** What `qrtrd` documents for the kind's keys. */
  readonly keys: Readonly<Record<string, string>>;
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

/** Builds the configured links with the bound factories; refuses unknown kinds and unknown keys. */
export function createConfiguredLinks(container: interfaces.Container, links: readonly LinkConfig[], logger: BackendLogger): BackendContribution[] {
  const factories = new Map((container.isBound(LINK_FACTORY) ? container.getAll(LINK_FACTORY) : []).map((f) => [f.kind, f]));
  return links.map((link, i) => {
    const at = `links[${i}]`;
    const factory = factories.get(link.kind);
    if (!factory) throw new LinkConfigError(`${at}.kind`, oneOf([...factories.keys()], link.kind), link.kind);
    for (const key of Object.keys(link)) if (key !== 'kind' && !(key in factory.keys)) throw new LinkConfigError(`${at}.${key}`, oneOf(['kind', ...Object.keys(factory.keys)], key), key);
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

/** The keys every message-device kind takes besides its own. */
export const MESSAGE_DEVICE_KEYS = {
  fd: 'an inherited descriptor carrying one packet per read/write, instead of device',
  maxPacketLength: 'largest packet the device carries in one message',
} as const;

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
