import { expect } from 'chai';
import fc from 'fast-check';
import { QmiNameRegistry, QrtrServiceTable, TraceFormatter, WLFW_MESSAGE_NAMES, formatTrace, type TraceLike } from '../../src/capture';
import { wlfw } from '../../src/qmi';
import { QRTR_PORT_CTRL, QrtrType, encodeControl, encodePacket, instanceWord } from '../../src/wire';
import { FW_READY_IND, IND_REGISTER_REQ, IND_REGISTER_RESP, qmiMessage, runScenario } from './scenario';
import { tempDir } from './tmp';

const AT = Date.UTC(2026, 10, 23, 12, 34, 56, 789);

function t(packet: Uint8Array, over: Partial<TraceLike> = {}): TraceLike {
  return { direction: 'rx', endpoint: 2, backendKind: 'mhi', packet, timestamp: AT, ...over };
}

function ctrl(type: number, fields: { service?: number; instance?: number; node?: number; port?: number } = {}, src = 7): Uint8Array {
  return encodePacket({ type, srcNode: src, srcPort: QRTR_PORT_CTRL, dstNode: 1, dstPort: QRTR_PORT_CTRL }, encodeControl({ type, ...fields }));
}

function data(payload: Uint8Array, from: [number, number], to: [number, number], version: 1 | 2 = 1): Uint8Array {
  return encodePacket({ version, type: QrtrType.DATA, srcNode: from[0], srcPort: from[1], dstNode: to[0], dstPort: to[1] }, payload);
}

/** Lines without the time column. */
const body = (line: string): string => line.slice(line.indexOf(' ') + 1);

describe('formatTrace', () => {
  it('should print UTC time, direction, endpoint, backend, version, type and addresses', () => {
    expect(formatTrace(t(ctrl(QrtrType.HELLO)))).to.equal('12:34:56.789 rx    ep2 mhi v1 HELLO 7:CTRL -> 1:CTRL');
  });

  it('should print control fields with the instance word split into version and instance', () => {
    const lines = [
      ctrl(QrtrType.NEW_SERVER, { service: 69, instance: instanceWord(1, 7), node: 7, port: 1 }),
      ctrl(QrtrType.DEL_SERVER, { service: 69, instance: instanceWord(1, 7), node: 7, port: 1 }),
      ctrl(QrtrType.NEW_LOOKUP, { service: 69, instance: instanceWord(1, 0x40) }),
      ctrl(QrtrType.DEL_LOOKUP, { service: 15 }),
      ctrl(QrtrType.NEW_SERVER),
      ctrl(QrtrType.BYE, { node: 7 }),
      ctrl(QrtrType.DEL_CLIENT, { node: 7, port: 0x4001 }),
      ctrl(QrtrType.EXIT),
      ctrl(QrtrType.PING),
      ctrl(QrtrType.DEL_PROC, { node: 9 }),
      encodePacket({ type: QrtrType.RESUME_TX, srcNode: 7, srcPort: 5, dstNode: 1, dstPort: 0x4000 }, encodeControl({ type: QrtrType.RESUME_TX, node: 7, port: 5 })),
      encodePacket({ type: 12, srcNode: 7, srcPort: QRTR_PORT_CTRL, dstNode: 1, dstPort: QRTR_PORT_CTRL }, encodeControl({ type: 12 })),
    ].map((p) => body(formatTrace(t(p))));
    expect(lines).to.deep.equal([
      'rx    ep2 mhi v1 NEW_SERVER 7:CTRL -> 1:CTRL service 69 version 1 instance 7 node 7 port 1',
      'rx    ep2 mhi v1 DEL_SERVER 7:CTRL -> 1:CTRL service 69 version 1 instance 7 node 7 port 1',
      'rx    ep2 mhi v1 NEW_LOOKUP 7:CTRL -> 1:CTRL service 69 version 1 instance 64',
      'rx    ep2 mhi v1 DEL_LOOKUP 7:CTRL -> 1:CTRL service 15 version 0 instance 0',
      'rx    ep2 mhi v1 NEW_SERVER 7:CTRL -> 1:CTRL end-of-list',
      'rx    ep2 mhi v1 BYE 7:CTRL -> 1:CTRL node 7 port 0',
      'rx    ep2 mhi v1 DEL_CLIENT 7:CTRL -> 1:CTRL node 7 port 16385',
      'rx    ep2 mhi v1 EXIT 7:CTRL -> 1:CTRL',
      'rx    ep2 mhi v1 PING 7:CTRL -> 1:CTRL',
      'rx    ep2 mhi v1 DEL_PROC 7:CTRL -> 1:CTRL node 9',
      'rx    ep2 mhi v1 RESUME_TX 7:5 -> 1:16384 node 7 port 5',
      'rx    ep2 mhi v1 TYPE_12 7:CTRL -> 1:CTRL cmd 12',
    ]);
  });

  it('should print QMI type, txn, message id and TLVs, and name WLFW messages once the server is known', () => {
    const services = new QrtrServiceTable();
    const req = t(data(IND_REGISTER_REQ, [1, 0x4000], [7, 1]), { direction: 'tx' });
    expect(body(formatTrace(req, undefined, services))).to.equal(
      'tx    ep2 mhi v1 DATA 1:16384 -> 7:1 req txn 1 msg 0x0020 len 15 tlvs 0x10/1 0x11/1 0x16/4',
    );
    services.observe(t(ctrl(QrtrType.NEW_SERVER, { service: 69, instance: instanceWord(1, 7), node: 7, port: 1 })));
    expect(body(formatTrace(req, undefined, services))).to.equal(
      'tx    ep2 mhi v1 DATA 1:16384 -> 7:1 wlfw req txn 1 msg 0x0020 IND_REGISTER len 15 tlvs 0x10/1 0x11/1 0x16/4',
    );
    // Responses and indications are named by their source, the server.
    expect(body(formatTrace(t(data(IND_REGISTER_RESP, [7, 1], [1, 0x4000])), undefined, services))).to.equal(
      'rx    ep2 mhi v1 DATA 7:1 -> 1:16384 wlfw resp txn 1 msg 0x0020 IND_REGISTER len 18 tlvs 0x02/4 0x10/8',
    );
    expect(body(formatTrace(t(data(FW_READY_IND, [7, 1], [1, 0x4000], 2)), undefined, services))).to.equal(
      'rx    ep2 mhi v2 DATA 7:1 -> 1:16384 wlfw ind txn 0 msg 0x0021 FW_READY_IND len 0 tlvs none',
    );
    services.observe(t(ctrl(QrtrType.DEL_SERVER, { service: 69, instance: instanceWord(1, 7), node: 7, port: 1 })));
    expect(formatTrace(req, undefined, services)).to.not.contain('wlfw');
  });

  it('should use a registry built from the generated schema modules', () => {
    const names = new QmiNameRegistry();
    expect(names.addSchemaModule(wlfw)).to.equal(true);
    const f = new TraceFormatter(names);
    f.format(t(ctrl(QrtrType.NEW_SERVER, { service: 69, instance: instanceWord(1, 7), node: 7, port: 1 })));
    expect(f.format(t(data(IND_REGISTER_REQ, [1, 0x4000], [7, 1])))).to.contain('wlfw req txn 1 msg 0x0020 wlfw_ind_register_req ');
    expect(f.format(t(data(IND_REGISTER_RESP, [7, 1], [1, 0x4000])))).to.contain('msg 0x0020 wlfw_ind_register_resp ');
    expect(names.addSchemaModule({ A_SERVICE_ID: 1, B_SERVICE_ID: 2 })).to.equal(false);
  });

  it('should ship every WLFW message id of the reference table', () => {
    expect(WLFW_MESSAGE_NAMES.get(0x20)).to.equal('IND_REGISTER');
    expect(WLFW_MESSAGE_NAMES.get(0x38)).to.equal('FW_INIT_DONE_IND');
    expect(WLFW_MESSAGE_NAMES.get(0x3e)).to.equal('CAL_DONE_IND');
    expect(WLFW_MESSAGE_NAMES.get(0x57)).to.equal('PHY_CAP');
    expect(WLFW_MESSAGE_NAMES.size).to.equal(33);
  });

  it('should keep servers of identical cards apart by endpoint', () => {
    const f = new TraceFormatter(new QmiNameRegistry().addService(69, 'wlfw').addService(15, 'test', [[0x20, 'TEST_MSG']]));
    f.format(t(ctrl(QrtrType.NEW_SERVER, { service: 69, instance: instanceWord(1, 7), node: 7, port: 1 }), { endpoint: 2 }));
    f.format(t(ctrl(QrtrType.NEW_SERVER, { service: 15, instance: instanceWord(1, 7), node: 7, port: 1 }), { endpoint: 3 }));
    expect(f.format(t(data(IND_REGISTER_REQ, [1, 0x4000], [7, 1]), { endpoint: 2 }))).to.contain(' wlfw req ');
    expect(f.format(t(data(IND_REGISTER_REQ, [1, 0x4000], [7, 1]), { endpoint: 3 }))).to.contain(' test req txn 1 msg 0x0020 TEST_MSG ');
  });

  it('should show malformed packets, short control payloads, non-QMI data and bad TLVs without throwing', () => {
    expect(body(formatTrace(t(Uint8Array.of(2, 0, 0, 0))))).to.equal('rx    ep2 mhi MALFORMED QRTR_BAD_VERSION len 4 [02 00 00 00]');
    expect(body(formatTrace(t(new Uint8Array(0))))).to.equal('rx    ep2 mhi MALFORMED QRTR_EMPTY_PACKET len 0 []');
    const short = encodePacket({ type: QrtrType.HELLO, srcNode: 7, srcPort: QRTR_PORT_CTRL, dstNode: 1, dstPort: QRTR_PORT_CTRL }, Uint8Array.of(2, 0, 0, 0));
    expect(body(formatTrace(t(short)))).to.equal('rx    ep2 mhi v1 HELLO 7:CTRL -> 1:CTRL control payload 4 bytes (short) [02 00 00 00]');
    expect(body(formatTrace(t(data(Uint8Array.of(9, 9, 9), [7, 1], [1, 2]))))).to.equal('rx    ep2 mhi v1 DATA 7:1 -> 1:2 len 3 [09 09 09]');
    expect(body(formatTrace(t(data(Uint8Array.of(1, 0, 0, 0, 0, 0, 0), [7, 1], [1, 2]))))).to.contain('len 7 not QMI');
    const overrun = Uint8Array.of(0, 5, 0, 0x20, 0, 4, 0, 0x10, 9, 0, 1);
    expect(formatTrace(t(data(overrun, [1, 2], [7, 1])))).to.match(/req txn 5 msg 0x0020 len 4 tlvs 0x10\/9 \(overruns by 8\)$/);
    const trailing = Uint8Array.of(2, 0, 0, 0x20, 0, 5, 0, 0x02, 0, 0, 0xee, 0xff);
    expect(formatTrace(t(data(trailing, [7, 1], [1, 2])))).to.match(/tlvs 0x02\/0 \(2 trailing bytes\)$/);
    expect(formatTrace(t(data(qmiMessage(0, 1, 2, []), [1, 2], [7, 1]), { backendKind: '' }))).to.contain(' ep2 - v1 ');
  });

  it('should never throw on arbitrary packets (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.constantFrom<TraceLike['direction']>('rx', 'tx', 'local'), (packet, direction) => {
        const f = new TraceFormatter();
        const line = f.format(t(packet, { direction }));
        expect(line).to.match(/^\d\d:\d\d:\d\d\.\d{3} (rx|tx|local) +ep2 mhi /);
        expect(line).to.not.contain('\n');
      }),
      { numRuns: 3000 },
    );
  });

  it('should format a whole router scenario, one line per packet', async () => {
    const tmp = tempDir('format');
    try {
      const { traces } = await runScenario(tmp.file('s.pcap'));
      const f = new TraceFormatter();
      const lines = traces.map((tr) => body(f.format(tr)));
      expect(lines).to.include('tx    ep2 mhi v1 DATA 1:16384 -> 7:1 wlfw req txn 1 msg 0x0020 IND_REGISTER len 15 tlvs 0x10/1 0x11/1 0x16/4');
      expect(lines).to.include('rx    ep2 mhi v2 DATA 7:1 -> 1:16384 confirm_rx wlfw ind txn 0 msg 0x0021 FW_READY_IND len 0 tlvs none');
      // Name-service notifications come from the control port, so they carry their command as the type.
      expect(lines.filter((l) => /^local ep0 local v1 NEW_SERVER 1:CTRL -> 1:16384 .*end-of-list/.test(l))).to.have.length(1);
      expect(lines).to.include('rx    ep2 mhi MALFORMED QRTR_BAD_VERSION len 8 [02 00 00 00 01 00 00 00]');
      expect(lines.filter((l) => l.includes('req txn 4660 msg 0x0021'))).to.deep.equal([
        'rx    ep2 mhi v1 DATA 7:16384 -> 1:16385 service 15 req txn 4660 msg 0x0021 len 6 tlvs 0x01/3',
      ]);
    } finally {
      tmp.cleanup();
    }
  });
});
