import { QrtrdError } from '../../common/errors';

/** A device tree (flattened blob or the kernel's directory form) that does not parse. */
export class DeviceTreeMalformedError extends QrtrdError {
  constructor(source: string, offset: number, reason: string) {
    super('DT_MALFORMED', `Device tree ${source}: ${reason} (at byte ${offset})`, { source, offset, reason });
  }
}

/** The device tree parses but lacks what the device needs (its node, a phandle target, a reg). */
export class DeviceTreeMissingError extends QrtrdError {
  constructor(source: string, what: string) {
    super('DT_MISSING', `Device tree ${source}: ${what}`, { source, what });
  }
}
