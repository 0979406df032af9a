import { LocalClientError } from './errors';

/**
 * Who may do what through the local-client socket (docs/security.md). A client is
 * identified by the uid/gid the kernel recorded at connect() (SO_PEERCRED); root and
 * the daemon's own uid hold every right, everyone else only what a grant names.
 */
export interface PolicyGrant {
  /** Numeric uids this grant applies to. */
  readonly uids?: readonly number[];
  /** Numeric gids (the peer's primary gid) this grant applies to. */
  readonly gids?: readonly number[];
  /** Endpoint key patterns ('*' matches any run of characters), e.g. `mhi:0000:01:*`. */
  readonly endpoints?: readonly string[];
  readonly trace?: boolean;
  /** May send DATA to control ports (a card's, broadcast's, the router's). */
  readonly control?: boolean;
  /** Endpoint IDs this user may hold reserved at once (max over matching grants). */
  readonly reservations?: number;
  /**
   * QMI service ids this user may publish: NEW_SERVER/DEL_SERVER to the router's control port
   * for its own socket's port only (the one control message such a user may send).
   */
  readonly publish?: readonly number[];
}

/** Who is at the other end of a UNIX socket, as the kernel recorded it at connect(). */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/** SO_PEERCRED of a connected socket fd, or null when it cannot be read. */
export type PeerCredentialsReader = (fd: number) => PeerCredentials | null;

/** Bounds per uid (summed over all of that user's connections). */
export interface PerUidLimits {
  readonly connections: number;
  readonly sockets: number;
  readonly lookups: number;
  readonly reservations: number;
  /** Bytes queued towards all of the user's connections together. */
  readonly queuedBytes: number;
}

export interface LocalClientPolicyConfig {
  /** Socket file mode, applied with chmod after bind (never taken from the umask). */
  readonly socketMode: number;
  /** Group (numeric gid) given to the socket file, or null to keep the daemon's. */
  readonly socketGroup: number | null;
  readonly grants: readonly PolicyGrant[];
  /** Reservation quota of a user no grant names. */
  readonly defaultReservations: number;
  readonly perUid: PerUidLimits;
}

export const DEFAULT_PER_UID_LIMITS: PerUidLimits = {
  connections: 16,
  sockets: 512,
  lookups: 64,
  reservations: 64,
  queuedBytes: 16 * 1024 * 1024,
};

export const DEFAULT_POLICY: LocalClientPolicyConfig = {
  socketMode: 0o660,
  socketGroup: null,
  grants: [],
  defaultReservations: 4,
  perUid: DEFAULT_PER_UID_LIMITS,
};

/** The rights one connection holds, resolved once at accept. */
export interface ClientRights {
  /** Root or the daemon's uid (or no credentials known and the socket mode is the control). */
  readonly full: boolean;
  readonly uid: number | null;
  readonly trace: boolean;
  readonly control: boolean;
  readonly reservations: number;
  /** Service ids the client may publish from its own ports (see PolicyGrant.publish). */
  readonly publish: ReadonlySet<number>;
  /** Whether an endpoint key is granted. */
  endpoint(key: string): boolean;
}

export const FULL_RIGHTS: ClientRights = { full: true, uid: null, trace: true, control: true, reservations: Infinity, publish: new Set(), endpoint: () => true };

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** Resolves a peer's rights from the policy; `daemonUid` is the daemon's own uid. */
export function resolveRights(policy: LocalClientPolicyConfig, peer: { uid: number; gid: number }, daemonUid: number): ClientRights {
  if (peer.uid === 0 || peer.uid === daemonUid) return { ...FULL_RIGHTS, uid: peer.uid };
  const grants = policy.grants.filter((g) => g.uids?.includes(peer.uid) || g.gids?.includes(peer.gid));
  const patterns = grants.flatMap((g) => (g.endpoints ?? []).map(patternToRegExp));
  return {
    full: false,
    uid: peer.uid,
    trace: grants.some((g) => g.trace === true),
    control: grants.some((g) => g.control === true),
    reservations: Math.max(policy.defaultReservations, ...grants.map((g) => g.reservations ?? 0)),
    publish: new Set(grants.flatMap((g) => g.publish ?? [])),
    endpoint: (key) => patterns.some((re) => re.test(key)),
  };
}

/** The policy refuses a request; answered with ERROR, the connection stays up. */
export class LocalClientPolicyDeniedError extends LocalClientError {
  constructor(action: string, uid: number | null, details: Record<string, unknown> = {}) {
    super('QRTRD_POLICY_DENIED', `Policy denies uid ${uid ?? '?'}: ${action}`, { action, uid, ...details });
  }
}

/** A per-uid limit is reached (summed over all of the user's connections). */
export class LocalClientUidLimitError extends LocalClientError {
  constructor(what: string, uid: number, limit: number) {
    super('QRTRD_CLIENT_UID_LIMIT', `uid ${uid} already holds ${limit} ${what} across its connections (its limit)`, { what, uid, limit });
  }
}

/** A connection refused at accept: sent as FATAL before the connection closes. */
export class LocalClientTooManyClientsError extends LocalClientError {
  constructor(uid: number | null, limit: number) {
    super(
      'QRTRD_CLIENT_TOO_MANY',
      uid === null ? `too many clients (the daemon serves at most ${limit} at once)` : `too many clients for uid ${uid} (at most ${limit} connections)`,
      { uid, limit },
    );
  }
}

/** Per-uid usage, shared by all of one user's connections. */
export class UidUsage {
  connections = 0;
  sockets = 0;
  lookups = 0;
  reservations = 0;
  /** Bytes queued for the user's sockets, awaiting credit (bounded by perUid.queuedBytes). */
  queuedBytes = 0;
  /** Datagrams dropped because a queued-bytes bound was reached. */
  dropped = 0;
  /** Refused requests, by action (what `qrtr status` can show per client). */
  readonly refused = new Map<string, number>();
}
