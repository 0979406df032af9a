import table from './service-names.json';

interface ServiceNameEntry {
  readonly id: number;
  readonly name?: string;
  readonly short?: string;
}

const BY_ID = new Map<number, ServiceNameEntry>((table.services as ServiceNameEntry[]).map((e) => [e.id, e]));

/** qrtr-lookup's name of a service id, `<unknown>` when the table has none. */
export function serviceName(service: number): string {
  const e = BY_ID.get(service);
  return e?.name ?? (e?.short ? `${e.short} service` : '<unknown>');
}

/** libqmi's short mnemonic (WDS, DMS, WLFW, ...), if any. */
export function serviceShortName(service: number): string | undefined {
  return BY_ID.get(service)?.short;
}

/** Every entry of the shared table, by id. */
export function serviceNameTable(): readonly ServiceNameEntry[] {
  return [...BY_ID.values()];
}

export const DIAG_SERVICE = 4097;
const DIAG_SUBSYSTEMS = ['MODEM', 'LPASS', 'WCNSS', 'SENSORS', 'CDSP', 'WDSP'];
const DIAG_CHANNELS = ['CNTL', 'CMD', 'DATA', 'DCI_CMD', 'DCI'];

/**
 * DIAG reads its raw instance as subsystem (bits 6+) and channel (low 6 bits), as qrtr-lookup
 * prints it (linux-msm/qrtr src/lookup.c, get_diag_instance_info): a part it does not know is `<unk>`.
 */
export function diagInstanceName(instanceWord: number): string {
  const subsystem = DIAG_SUBSYSTEMS[instanceWord >>> 6] ?? '<unk>';
  const channel = DIAG_CHANNELS[instanceWord & 0x3f] ?? '<unk>';
  return `${subsystem}:${channel}`;
}
