/** Address family number of AF_QIPCRTR (include/linux/socket.h). */
export const AF_QIPCRTR = 42;

/** Broadcast node id; only valid with the control port. */
export const QRTR_NODE_BCAST = 0xffffffff;
/** The control port, where the name service lives. */
export const QRTR_PORT_CTRL = 0xfffffffe;
/** Kernel-internal legacy control port; an incoming dst_port of 0xffff means CTRL. */
export const QRTR_PORT_CTRL_LEGACY = 0xffff;
/** In v2 headers the 16-bit port 0xfffe is widened to QRTR_PORT_CTRL. */
export const QRTR_PORT_CTRL_V2 = 0xfffe;

/** Ephemeral (auto-bind) port range, allocated lowest-free like the kernel's xa_alloc. */
export const QRTR_EPHEMERAL_PORT_MIN = 0x4000;
export const QRTR_EPHEMERAL_PORT_MAX = 0x7fff;

/** Largest payload a socket may send (sendmsg gives EMSGSIZE above it). */
export const QRTR_MAX_PAYLOAD = 65535;

/** Wire version bytes: v1 writes 1 (LE u32), v2 writes 3 (QRTR_PROTO_VER_2). */
export const QRTR_WIRE_VERSION_1 = 1;
export const QRTR_WIRE_VERSION_2 = 3;

export const QRTR_V1_HEADER_LENGTH = 32;
export const QRTR_V2_HEADER_LENGTH = 16;

/** v2 flags bit 0: the sender wants a RESUME_TX back. */
export const QRTR_V2_FLAG_CONFIRM_RX = 0x01;

/** Size of struct qrtr_ctrl_pkt: cmd plus a 16-byte union, all LE u32. */
export const QRTR_CONTROL_PACKET_LENGTH = 20;

/** Packet types; a control packet's header type equals its payload cmd. */
export const QrtrType = {
  DATA: 1,
  HELLO: 2,
  BYE: 3,
  NEW_SERVER: 4,
  DEL_SERVER: 5,
  DEL_CLIENT: 6,
  RESUME_TX: 7,
  EXIT: 8,
  PING: 9,
  NEW_LOOKUP: 10,
  DEL_LOOKUP: 11,
  /** Qualcomm downstream only (never merged into mainline). */
  DEL_PROC: 13,
} as const;
export type QrtrTypeName = keyof typeof QrtrType;
export type QrtrTypeValue = (typeof QrtrType)[QrtrTypeName];

const TYPE_NAMES = new Map<number, QrtrTypeName>(
  (Object.keys(QrtrType) as QrtrTypeName[]).map((name) => [QrtrType[name], name]),
);

/** Name of a packet type for logs and traces; unknown values print as TYPE_<n>. */
export function qrtrTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE_${type}`;
}

/** True for the types qrtrd understands (1..11, and 13 from downstream kernels). */
export function isKnownQrtrType(type: number): type is QrtrTypeValue {
  return TYPE_NAMES.has(type);
}

/** Flow control watermarks (net/qrtr/af_qrtr.c QRTR_TX_FLOW_HIGH/LOW). */
export const QRTR_TX_FLOW_HIGH = 10;
export const QRTR_TX_FLOW_LOW = 5;
