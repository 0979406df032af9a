import { QRTR_PORT_CTRL, QrtrType, encodeControl, instanceWord } from '../../src/wire';
import { captureRouter, type CaptureStats } from '../../src/capture';
import type { PacketTrace, QrtrMessage } from '../../src/router';
import { createHost, publish } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';

/** Builds one QMI message by hand: 7-byte header, then each TLV as type u8, length u16 LE, value. */
export function qmiMessage(type: 0 | 2 | 4, txn: number, msgId: number, tlvs: [number, number[]][]): Uint8Array {
  const body: number[] = [];
  for (const [t, value] of tlvs) body.push(t, value.length & 0xff, value.length >> 8, ...value);
  return Uint8Array.from([type, txn & 0xff, txn >> 8, msgId & 0xff, msgId >> 8, body.length & 0xff, body.length >> 8, ...body]);
}

export const WLFW = 69;
export const PEER_NODE = 7;
export const WLFW_PORT = 1;
/** QCN9074's WLFW instance id (qmi.md §4.1). */
export const WLFW_INSTANCE = 7;
export const TEST_SERVICE = 15;

/** IND_REGISTER request: fw_ready_enable, initiate_cal_download_enable, client_id (ATH_QMI_CLIENT_ID). */
export const IND_REGISTER_REQ = qmiMessage(0, 1, 0x20, [
  [0x10, [1]],
  [0x11, [1]],
  [0x16, [0x4c, 0x45, 0x4e, 0x4b]],
]);
/** Its response: result TLV (success) and fw_status (u64). */
export const IND_REGISTER_RESP = qmiMessage(2, 1, 0x20, [
  [0x02, [0, 0, 0, 0]],
  [0x10, [0, 0, 0, 0, 0, 0, 0, 0]],
]);
/** FW_READY_IND, sent by the peer in a v2 header with confirm_rx. */
export const FW_READY_IND = qmiMessage(4, 0, 0x21, []);
/** A request to a local test-service server; its result is a failure (1, INCOMPATIBLE_STATE 90). */
export const TEST_REQ = qmiMessage(0, 0x1234, 0x0021, [[0x01, [0xaa, 0xbb, 0xcc]]]);
export const TEST_RESP = qmiMessage(2, 0x1234, 0x0021, [[0x02, [1, 0, 90, 0]]]);

export interface ScenarioResult {
  traces: PacketTrace[];
  stats: CaptureStats;
  peerId: number;
  clientPort: number;
  testServerPort: number;
}

/**
 * A real qrtrd in-process: router + name service, a firmware peer (node 7) over a
 * memory link serving WLFW, a local client talking WLFW to it, a local test
 * server the peer calls, a v2 indication and one malformed packet, all captured
 * to `path` with captureRouter.
 */
export async function runScenario(path: string): Promise<ScenarioResult> {
  const { router } = createHost();
  const traces: PacketTrace[] = [];
  router.packets$.subscribe((t) => traces.push({ ...t, packet: t.packet.slice() }));
  const capture = captureRouter(router, path);
  const peer = new RawPeer(router, { kind: 'mhi', key: '0000:01:00.0' }, PEER_NODE);
  peer.hello();
  peer.announce(WLFW, instanceWord(1, WLFW_INSTANCE), WLFW_PORT);
  await settle();

  const client = await router.openSocket();
  const got: QrtrMessage[] = [];
  client.messages$.subscribe((m) => got.push(m));
  await client.send({ node: client.address.node, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_LOOKUP, service: WLFW }));
  await settle();
  await client.send({ node: PEER_NODE, port: WLFW_PORT }, IND_REGISTER_REQ);
  await settle();
  peer.send({ srcPort: WLFW_PORT, dstPort: client.address.port }, IND_REGISTER_RESP);
  peer.send({ version: 2, srcPort: WLFW_PORT, dstPort: client.address.port, confirmRx: true }, FW_READY_IND);
  await settle();

  const server = await router.openSocket();
  server.messages$.subscribe((m) => {
    if (m.from.port !== QRTR_PORT_CTRL) void server.send(m.from, TEST_RESP);
  });
  await publish(server, TEST_SERVICE, 1, 0);
  await settle();
  peer.send({ srcPort: 0x4000, dstPort: server.address.port }, TEST_REQ);
  await settle();
  // A packet with version byte 2: the router drops it, the capture keeps it.
  peer.sendRaw(Uint8Array.from([2, 0, 0, 0, 1, 0, 0, 0]));
  await settle();
  peer.control({ type: QrtrType.DEL_SERVER, service: WLFW, instance: instanceWord(1, WLFW_INSTANCE), node: PEER_NODE, port: WLFW_PORT });
  await settle();
  await capture.stop();
  const result = { traces, stats: capture.stats, peerId: peer.id, clientPort: client.address.port, testServerPort: server.address.port };
  router.shutdown();
  return result;
}

export { settle };
