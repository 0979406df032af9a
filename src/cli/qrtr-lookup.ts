import type { EndpointInfo } from '../router';
import { formatBackendKey } from '../router';
import { DIAG_SERVICE, diagInstanceName, serviceName, type ServerInfo } from '../ns';

/** One row of `qrtr lookup`, as printed and as --json emits it: the server, its backend key and service name. */
export interface LookupRow extends ServerInfo {
  readonly key: string;
  readonly name: string;
}

export function lookupRow(server: ServerInfo, keys: ReadonlyMap<number, string>): LookupRow {
  const word = (server.version | (server.instance << 8)) >>> 0;
  let name = serviceName(server.service);
  if (server.service === DIAG_SERVICE) name = `${name} (${diagInstanceName(word)})`;
  return {
    service: server.service,
    version: server.version,
    instance: server.instance,
    node: server.node,
    port: server.port,
    endpoint: server.endpoint,
    key: keys.get(server.endpoint) ?? (server.endpoint === 1 ? 'local' : '-'),
    name,
  };
}

/** Backend key of each endpoint id, for the KEY column. */
export function endpointKeys(endpoints: readonly EndpointInfo[]): Map<number, string> {
  return new Map(endpoints.map((e) => [e.id, formatBackendKey(e.key)]));
}

/** qrtr-lookup's header, plus the endpoint and backend key columns qrtrd adds. */
export const LOOKUP_HEADER = '  Service Version Instance Node  Port Endpoint Key                Name';

/**
 * One row in qrtr-lookup's layout (`%9u %7u %8u %4u %5u`), then endpoint and key,
 * then the name. DIAG prints N/A for the version and its whole instance word.
 */
export function formatLookupRow(row: LookupRow): string {
  const diag = row.service === DIAG_SERVICE;
  const version = diag ? 'N/A' : String(row.version);
  const instance = diag ? String((row.version | (row.instance << 8)) >>> 0) : String(row.instance);
  return (
    `${String(row.service).padStart(9)} ${version.padStart(7)} ${instance.padStart(8)} ${String(row.node).padStart(4)} ${String(row.port).padStart(5)}` +
    ` ${String(row.endpoint).padStart(8)} ${row.key.padEnd(18)} ${row.name}`
  );
}

export function sortRows(rows: LookupRow[]): LookupRow[] {
  return rows.sort((a, b) => a.service - b.service || a.instance - b.instance || a.endpoint - b.endpoint || a.node - b.node || a.port - b.port);
}

/** qrtr-lookup's own header (linux-msm/qrtr src/lookup.c; qrtr-tools 1.0). */
export const QRTR_LOOKUP_HEADER = '  Service Version Instance Node  Port';

/**
 * One row exactly as qrtr-lookup prints it: `%9d %7d %8d %4d %5d %s`, and for DIAG
 * `%9d %7s %8d %4d %5d %s (%s)` with `N/A` as the version and the whole instance word.
 */
export function formatQrtrLookupRow(row: LookupRow): string {
  const diag = row.service === DIAG_SERVICE;
  const version = diag ? 'N/A' : String(row.version);
  const instance = diag ? String((row.version | (row.instance << 8)) >>> 0) : String(row.instance);
  return `${String(row.service).padStart(9)} ${version.padStart(7)} ${instance.padStart(8)} ${String(row.node).padStart(4)} ${String(row.port).padStart(5)} ${row.name}`;
}
