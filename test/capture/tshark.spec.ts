import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { PCAP_SNAPLEN_QRTRD, PcapWriter, encodePcapGlobalHeaderInto, readCaptureFile, type CaptureRecord } from '../../src/capture';
import { QRTR_PORT_CTRL, QrtrType, decodeControl, decodePacket, encodeControl, encodePacket, instanceWord } from '../../src/wire';
import { IND_REGISTER_REQ, IND_REGISTER_RESP, TEST_SERVICE, WLFW, runScenario } from './scenario';
import { tempDir } from './tmp';

/**
 * The dissector under test, from the source tree: tsc does not copy .lua files,
 * so look next to the compiled tree (dist/..) and then in the working directory.
 */
const LUA = [join(__dirname, '..', '..', '..'), process.cwd()]
  .map((root) => join(root, 'src', 'capture', 'wireshark', 'qrtrd.lua'))
  .find((p) => existsSync(p))!;

const FIELDS = [
  'frame.number', 'qrtrd.version', 'qrtrd.direction', 'qrtrd.endpoint', 'qrtrd.kind', 'qrtrd.backend',
  'qrtr.version', 'qrtr.type', 'qrtr.src_node', 'qrtr.src_port', 'qrtr.dst_node', 'qrtr.dst_port', 'qrtr.confirm_rx', 'qrtr.size',
  'qrtr.ctrl.cmd', 'qrtr.ctrl.service', 'qrtr.ctrl.instance_word', 'qrtr.ctrl.version', 'qrtr.ctrl.instance', 'qrtr.ctrl.node', 'qrtr.ctrl.port',
  'qmi.type', 'qmi.txn', 'qmi.msg_id', 'qmi.msg_len', 'qmi.service', 'qmi.tlv.type', 'qmi.tlv.len', 'qmi.result', 'qmi.error',
  'wlfw.msg', 'wlfw.msg_name', '_ws.expert.message',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function tsharkVersion(): string | undefined {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /TShark \(Wireshark\) (\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

function tshark(file: string, extra: string[] = []): { rows: Row[]; stderr: string } {
  const args = ['-X', `lua_script:${LUA}`, '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'quote=n'];
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', [...args, ...extra], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  expect(r.status, r.stderr).to.equal(0);
  const rows = r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const cols = l.split('\t');
      return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Row;
    });
  return { rows, stderr: r.stderr };
}

/** tshark prints booleans as 1/0 (4.0) or True/False (newer). */
const bool = (v: string): boolean => v === '1' || v === 'True';
const num = (v: string): number => Number(v);

describe('qrtrd.lua under tshark', function () {
  this.timeout(120_000);
  let version: string | undefined;
  let tmp: ReturnType<typeof tempDir>;

  before(function () {
    version = tsharkVersion();
    if (version === undefined) {
      // CI installs tshark (.ci/apt.d/capture.txt): there, a missing tshark is a failure, not a skip.
      if (process.env.CI === 'true') throw new Error('tshark is not installed, but CI=true requires it (.ci/apt.d/capture.txt)');
      console.log('    (pending: tshark is not installed; apt-get install tshark to run these tests)');
      this.skip();
    }
  });
  beforeEach(() => (tmp = tempDir('tshark')));
  afterEach(() => tmp?.cleanup());

  describe('on a real router scenario', () => {
    let records: CaptureRecord[];
    let rows: Row[];
    let stderr: string;

    before(async function () {
      if (version === undefined) this.skip();
      const dir = tempDir('tshark-scenario');
      try {
        const path = join(dir.dir, 'scenario.pcap');
        await runScenario(path);
        records = await readCaptureFile(path);
        ({ rows, stderr } = tshark(path));
      } finally {
        dir.cleanup();
      }
    });

    it('should load without Lua errors and dissect one row per record', () => {
      expect(stderr).to.not.match(/Lua: Error|Lua:.*error/i);
      expect(rows.map((r) => num(r['frame.number']))).to.deep.equal(records.map((r) => r.index));
    });

    it('should decode the pseudo-header of every record as the reader does', () => {
      const directions = { rx: 0, tx: 1, local: 2 };
      expect(rows.map((r) => [r['qrtrd.version'], num(r['qrtrd.direction']), num(r['qrtrd.endpoint']), r['qrtrd.backend']])).to.deep.equal(
        records.map((r) => ['1', directions[r.direction], r.endpoint, r.backendKind]),
      );
    });

    it('should decode every well-formed QRTR header as src/wire does (v1 and v2, ports normalised)', () => {
      let checked = 0;
      records.forEach((rec, i) => {
        let p;
        try {
          p = decodePacket(rec.packet);
        } catch {
          return;
        }
        const row = rows[i]!;
        expect([num(row['qrtr.version']), num(row['qrtr.type']), num(row['qrtr.src_node']), num(row['qrtr.src_port']),
          num(row['qrtr.dst_node']), num(row['qrtr.dst_port']), bool(row['qrtr.confirm_rx']), num(row['qrtr.size'])], `frame ${rec.index}`).to.deep.equal(
          [p.version === 2 ? 3 : 1, p.type, p.srcNode, p.srcPort, p.dstNode, p.dstPort, p.confirmRx, p.size],
        );
        if (p.type !== QrtrType.DATA || p.srcPort === QRTR_PORT_CTRL || p.dstPort === QRTR_PORT_CTRL) {
          const c = decodeControl(p.payload);
          expect([num(row['qrtr.ctrl.cmd']), row['qrtr.ctrl.service']], `frame ${rec.index}`).to.deep.equal([c.type, row['qrtr.ctrl.service'] && String(c.service)]);
          expect(row['qrtr.ctrl.node'] === '' ? undefined : num(row['qrtr.ctrl.node']), `frame ${rec.index}`).to.equal(
            c.type === QrtrType.HELLO || c.type === QrtrType.EXIT || c.type === QrtrType.PING ? undefined : c.node,
          );
          if (row['qrtr.ctrl.instance_word'] !== '') {
            expect([num(row['qrtr.ctrl.instance_word']), num(row['qrtr.ctrl.version']), num(row['qrtr.ctrl.instance'])]).to.deep.equal([
              c.instance, c.instance & 0xff, c.instance >>> 8,
            ]);
          }
        }
        checked++;
      });
      expect(checked).to.equal(records.length - 1);
    });

    it('should decode the WLFW NEW_SERVER with the instance split into version 1 and instance 7', () => {
      const row = rows.find((r) => r['qrtr.ctrl.cmd'] === '4' && r['qrtr.ctrl.service'] === String(WLFW) && r['qrtrd.direction'] === '0')!;
      expect([row['qrtr.ctrl.instance_word'], row['qrtr.ctrl.version'], row['qrtr.ctrl.instance'], row['qrtr.ctrl.node'], row['qrtr.ctrl.port']]).to.deep.equal([
        '0x00000701', '1', '7', '7', '1',
      ]);
    });

    it('should decode the IND_REGISTER request to the service-69 server with its QMI header, TLVs and WLFW name', () => {
      const reqs = rows.filter((r) => r['qmi.msg_id'] === '0x0020' && r['qmi.type'] === '0');
      expect(reqs).to.have.length(1);
      const r = reqs[0]!;
      expect([r['qrtrd.direction'], r['qmi.txn'], r['qmi.msg_len'], r['qmi.service'], r['qmi.tlv.type'], r['qmi.tlv.len'], r['wlfw.msg'], r['wlfw.msg_name']]).to.deep.equal([
        '1', '1', '15', '69', '0x10,0x11,0x16', '1,1,4', '0x0020', 'IND_REGISTER',
      ]);
      expect(r['qrtr.dst_node'] + ':' + r['qrtr.dst_port']).to.equal('7:1');
    });

    it('should decode the response result TLV and the v2 indication with confirm_rx', () => {
      const resp = rows.find((r) => r['qmi.msg_id'] === '0x0020' && r['qmi.type'] === '2')!;
      expect([resp['qmi.result'], resp['qmi.error'], resp['qmi.tlv.type'], resp['wlfw.msg_name']]).to.deep.equal(['0', '0', '0x02,0x10', 'IND_REGISTER']);
      const ind = rows.find((r) => r['qmi.type'] === '4')!;
      expect([ind['qrtr.version'], bool(ind['qrtr.confirm_rx']), ind['qmi.msg_id'], ind['qmi.msg_len'], ind['wlfw.msg_name']]).to.deep.equal([
        '3', true, '0x0021', '0', 'FW_READY_IND',
      ]);
    });

    it('should name no WLFW message on another service, and decode its failure result', () => {
      const test = rows.filter((r) => r['qmi.service'] === String(TEST_SERVICE));
      expect(test.map((r) => [r['qmi.type'], r['qmi.txn'], r['qmi.msg_id'], r['wlfw.msg'], r['qmi.result'], r['qmi.error']])).to.deep.equal([
        ['0', '4660', '0x0021', '', '', ''],
        ['2', '4660', '0x0021', '', '1', '90'],
      ]);
    });

    it('should flag the malformed packet with an expert error instead of failing', () => {
      const bad = rows.filter((r) => r['_ws.expert.message'].includes('neither 1 (v1) nor 3 (v2)'));
      expect(bad).to.have.length(1);
      expect(bad[0]!['qrtr.version']).to.equal('2');
      expect(bad[0]!['qrtr.type']).to.equal('');
    });
  });

  it('should filter on its fields in display filters', async () => {
    const path = tmp.file('f.pcap');
    await runScenario(path);
    const { rows } = tshark(path, ['-Y', 'wlfw.msg == 0x20 && qmi.tlv.type == 0x02']);
    expect(rows.map((r) => r['qmi.type'])).to.deep.equal(['2']);
    const ctrl = tshark(path, ['-Y', 'qrtr.ctrl.service == 69 && qrtr.ctrl.instance == 7 && qrtrd.endpoint == 2']).rows;
    expect(ctrl.length).to.be.greaterThan(1);
  });

  it('should fall back to raw ids when the capture missed the NEW_SERVER, and show named backend kinds', async () => {
    const path = tmp.file('late.pcap');
    const writer = await PcapWriter.open(path);
    const packet = encodePacket({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: 7, dstPort: 1 }, IND_REGISTER_REQ);
    writer.write({ direction: 'tx', endpoint: 9, backendKind: 'bam-dmux', packet, timestamp: Date.now() });
    await writer.close();
    const [row] = tshark(path).rows;
    expect([row!['qrtrd.kind'], row!['qrtrd.backend'], row!['qmi.msg_id'], row!['qmi.service'], row!['wlfw.msg']]).to.deep.equal(['0', 'bam-dmux', '0x0020', '', '']);
  });

  it('should survive fuzzed packets and pseudo-headers without a Lua error (fuzz)', async () => {
    const valid = [
      encodePacket({ type: QrtrType.NEW_SERVER, srcNode: 7, srcPort: QRTR_PORT_CTRL, dstNode: 1, dstPort: QRTR_PORT_CTRL },
        encodeControl({ type: QrtrType.NEW_SERVER, service: WLFW, instance: instanceWord(1, 7), node: 7, port: 1 })),
      encodePacket({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: 7, dstPort: 1 }, IND_REGISTER_REQ),
      encodePacket({ version: 2, type: QrtrType.DATA, srcNode: 7, srcPort: 1, dstNode: 1, dstPort: 0x4000 }, IND_REGISTER_RESP),
    ];
    const mutated = fc
      .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat({ max: 63 }), fc.nat({ max: 255 })), { maxLength: 4 }), fc.nat({ max: 72 }))
      .map(([p, edits, cut]) => {
        const b = p.slice();
        for (const [i, v] of edits) if (i < b.length) b[i] = v;
        return b.subarray(0, Math.min(b.length, cut + 4));
      });
    // Each body is a pseudo-header (valid, or random bytes) followed by a packet (mutated, or random bytes).
    const body = fc.tuple(
      fc.oneof(fc.constant(Uint8Array.of(1, 0, 16, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0)), fc.uint8Array({ minLength: 0, maxLength: 24 })),
      fc.oneof(mutated, fc.uint8Array({ maxLength: 64 })),
    );
    const seed = Date.now() | 0;
    const bodies = fc.sample(body, { seed, numRuns: 1500 }).map(([h, p]) => Buffer.concat([h, p]));
    const file = Buffer.alloc(24 + bodies.reduce((n, b) => n + 16 + b.length, 0));
    let o = encodePcapGlobalHeaderInto(file, 0, PCAP_SNAPLEN_QRTRD);
    bodies.forEach((b, i) => {
      file.writeUInt32LE(i, o);
      file.writeUInt32LE(0, o + 4);
      file.writeUInt32LE(b.length, o + 8);
      file.writeUInt32LE(b.length, o + 12);
      b.copy(file, o + 16);
      o += 16 + b.length;
    });
    const path = tmp.file('fuzz.pcap');
    writeFileSync(path, file);
    const r = spawnSync('tshark', ['-X', `lua_script:${LUA}`, '-r', path, '-V'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.match(/Lua Error[^\n]*/g) ?? [], `seed ${seed}`).to.deep.equal([]);
    expect(r.stdout.match(/^Frame \d+:/gm), `seed ${seed}`).to.have.length(bodies.length);
  });
});

