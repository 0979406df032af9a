import { expect } from 'chai';
import fc from 'fast-check';
import { QrtrdError } from '../../../src/common/errors';
import {
  QMAP_V5_CSUM_VALID,
  QmapCommandName,
  QmapCommandType,
  QmapDeaggregator,
  QmapError,
  createIpChecksumInfo,
  decodeQmapCommand,
  encodeQmapCommand,
  encodeQmapUplinkFrame,
  parseIpForChecksum,
  readQmapHeader,
  createQmapHeader,
  splitQmapAggregate,
  verifyTransportChecksum,
  verifyWithTrailerChecksum,
  writeQmapHeader,
  completeOffloadedChecksum,
  foldChecksum,
  onesComplementSum,
  type QmapChecksumMode,
} from '../src/qmap';
import { buildSimPacket, qmapDlFrameLength, writeDlQmapFrame, type SimPacketKind } from '../sim';

const KINDS: SimPacketKind[] = ['ipv4-udp', 'ipv4-tcp', 'ipv6-udp', 'ipv6-tcp'];

function aggregate(packets: { muxId: number; packet: Uint8Array }[], mode: QmapChecksumMode): Uint8Array {
  const total = packets.reduce((n, p) => n + qmapDlFrameLength(p.packet.length, mode), 0);
  const buf = new Uint8Array(total);
  let offset = 0;
  for (const p of packets) offset += writeDlQmapFrame(buf, offset, p.muxId, p.packet, mode);
  return buf;
}

function fixIpv4HeaderSum(p: Uint8Array): void {
  p[10] = 0;
  p[11] = 0;
  const sum = ~foldChecksum(onesComplementSum(p, 0, 20)) & 0xffff;
  p[10] = sum >> 8;
  p[11] = sum & 0xff;
}

function expectQmapError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(QmapError);
    expect((err as QmapError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('QMAP codec', () => {
  describe('MAP header', () => {
    it('should encode CD, next-header, pad, mux id and a big-endian length', () => {
      const b = new Uint8Array(4);
      writeQmapHeader(b, 0, true, true, 3, 0x81, 0x1234);
      expect([...b]).to.deep.equal([0xc3, 0x81, 0x12, 0x34]);
      expect(readQmapHeader(b, 0, createQmapHeader())).to.deep.equal({ command: true, nextHeader: true, pad: 3, muxId: 0x81, length: 0x1234 });
    });

    it('should refuse fields the header cannot carry', () => {
      const b = new Uint8Array(4);
      expectQmapError(() => writeQmapHeader(b, 0, false, false, 64, 1, 1), 'QMAP_ENCODE_RANGE');
      expectQmapError(() => writeQmapHeader(b, 0, false, false, 0, 256, 1), 'QMAP_ENCODE_RANGE');
      expectQmapError(() => writeQmapHeader(b, 0, false, false, 0, 1, 0x10000), 'QMAP_ENCODE_RANGE');
    });
  });

  describe('commands', () => {
    it('should round-trip a flow-control command', () => {
      const b = new Uint8Array(20);
      const length = encodeQmapCommand(b, 0, 9, {
        name: QmapCommandName.FLOW_DISABLE,
        type: QmapCommandType.REQUEST,
        transactionId: 0xdeadbeef,
        flow: { ipFamily: 2, sequence: 0x0102, qosId: 0xa0b0c0d0 },
      });
      expect(length).to.equal(20);
      expect([...b.subarray(0, 4)]).to.deep.equal([0x80, 9, 0, 16]);
      expect(decodeQmapCommand(b.subarray(4))).to.deep.equal({
        name: 1,
        type: 0,
        transactionId: 0xdeadbeef,
        flow: { ipFamily: 2, sequence: 0x0102, qosId: 0xa0b0c0d0 },
      });
    });

    it('should reject truncated command bodies', () => {
      expectQmapError(() => decodeQmapCommand(new Uint8Array(7)), 'QMAP_TRUNCATED_COMMAND');
      expectQmapError(() => decodeQmapCommand(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 1, 0, 0])), 'QMAP_TRUNCATED_COMMAND');
    });
  });

  describe('deaggregation', () => {
    for (const mode of ['none', 'v4', 'v5'] as const) {
      it(`should split an aggregate of mixed IPv4/IPv6 frames (${mode})`, () => {
        const packets = KINDS.map((kind, i) => ({ muxId: i + 1, packet: buildSimPacket(kind, 61 + i, i) }));
        const frames = splitQmapAggregate(aggregate(packets, mode), mode);
        expect(frames.map((f) => f.muxId)).to.deep.equal([1, 2, 3, 4]);
        expect(frames.map((f) => [...f.payload])).to.deep.equal(packets.map((p) => [...p.packet]));
        if (mode === 'none') expect(frames.every((f) => f.checksum === 'absent')).to.equal(true);
        else expect(frames.every((f) => f.checksum === 'valid')).to.equal(true);
      });
    }

    it('should stop on a zero pkt_len and report the bytes left', () => {
      const good = aggregate([{ muxId: 1, packet: buildSimPacket('ipv4-udp', 60, 1) }], 'none');
      const buf = new Uint8Array(good.length + 12);
      buf.set(good);
      buf[good.length] = 0; // pkt_len 0 header
      const deagg = new QmapDeaggregator('none');
      const codes: string[] = [];
      let frames = 0;
      const summary = deagg.run(buf, { frame: () => frames++, drop: (e) => codes.push(e.code) });
      expect(frames).to.equal(1);
      expect(codes).to.deep.equal(['QMAP_ZERO_LENGTH']);
      expect(summary.droppedBytes).to.equal(12);
      expect(summary.stopCode).to.equal('QMAP_ZERO_LENGTH');
    });

    it('should stop on a truncated frame', () => {
      const buf = aggregate([{ muxId: 1, packet: buildSimPacket('ipv4-udp', 60, 1) }], 'v4');
      expectQmapError(() => splitQmapAggregate(buf.subarray(0, buf.length - 1), 'v4'), 'QMAP_TRUNCATED_FRAME');
      expectQmapError(() => splitQmapAggregate(new Uint8Array([0, 1, 0]), 'none'), 'QMAP_TRUNCATED_FRAME');
    });

    it('should stop on a v5 data frame without the next-header bit', () => {
      const buf = aggregate([{ muxId: 1, packet: buildSimPacket('ipv4-udp', 60, 1) }], 'v5');
      buf[0] &= ~0x40;
      expectQmapError(() => splitQmapAggregate(buf, 'v5'), 'QMAP_MISSING_NEXT_HEADER');
    });

    it('should skip a frame with a non-checksum v5 header and one with pad > pkt_len, keeping the rest', () => {
      const packets = [1, 2, 3].map((i) => ({ muxId: i, packet: buildSimPacket('ipv6-udp', 80, i) }));
      const fixed = aggregate(packets, 'v5');
      fixed[4] = 1 << 1; // first frame: coalescing header type
      const codes: string[] = [];
      const ids: number[] = [];
      new QmapDeaggregator('v5').run(fixed, { frame: (_b, info) => ids.push(info.muxId), drop: (e) => codes.push(e.code) });
      expect(codes).to.deep.equal(['QMAP_BAD_NEXT_HEADER']);
      expect(ids).to.deep.equal([2, 3]);
      const padBuf = new Uint8Array(8 + 8);
      writeQmapHeader(padBuf, 0, false, false, 10, 1, 4);
      writeQmapHeader(padBuf, 8, false, false, 0, 2, 4);
      padBuf.set([0x45, 0, 0, 4], 12);
      const padCodes: string[] = [];
      const padIds: number[] = [];
      new QmapDeaggregator('none').run(padBuf, { frame: (_b, info) => padIds.push(info.muxId), drop: (e) => padCodes.push(e.code) });
      expect(padCodes).to.deep.equal(['QMAP_BAD_PAD']);
      expect(padIds).to.deep.equal([2]);
    });

    it('should round-trip any list of frames through aggregate and deaggregate (property)', () => {
      fc.assert(
        fc.property(
          fc.constantFrom<QmapChecksumMode>('none', 'v4', 'v5'),
          fc.array(fc.record({ muxId: fc.integer({ min: 0, max: 254 }), kind: fc.constantFrom(...KINDS), size: fc.integer({ min: 72, max: 1500 }) }), {
            minLength: 1,
            maxLength: 12,
          }),
          (mode, specs) => {
            const packets = specs.map((s, i) => ({ muxId: s.muxId, packet: buildSimPacket(s.kind, s.size, i) }));
            const frames = splitQmapAggregate(aggregate(packets, mode), mode);
            expect(frames.map((f) => f.muxId)).to.deep.equal(packets.map((p) => p.muxId));
            frames.forEach((f, i) => expect(Buffer.compare(f.payload, packets[i].packet)).to.equal(0));
          },
        ),
        { numRuns: 200 },
      );
    });

    it('should never throw anything but a QmapError on random byte soup (property)', () => {
      fc.assert(
        fc.property(fc.constantFrom<QmapChecksumMode>('none', 'v4', 'v5'), fc.uint8Array({ maxLength: 600 }), (mode, bytes) => {
          try {
            splitQmapAggregate(bytes, mode);
          } catch (err) {
            expect(err).to.be.instanceOf(QmapError);
          }
          const summary = new QmapDeaggregator(mode).run(bytes, { frame: () => undefined, drop: (e) => expect(e).to.be.instanceOf(QrtrdError) });
          expect(summary.droppedBytes).to.be.at.most(bytes.length);
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('checksums', () => {
    const info = createIpChecksumInfo();

    for (const kind of KINDS) {
      it(`should verify a good ${kind} checksum and reject a bad one in software`, () => {
        const good = buildSimPacket(kind, 333, 5);
        const bad = buildSimPacket(kind, 333, 5, false);
        expect(parseIpForChecksum(good, 0, good.length, info)).to.equal('ok');
        expect(verifyTransportChecksum(good, 0, info)).to.equal('ok');
        expect(parseIpForChecksum(bad, 0, bad.length, info)).to.equal('ok');
        expect(verifyTransportChecksum(bad, 0, info)).to.equal('bad');
      });

      it(`should verify ${kind} through a MAPv4 downlink trailer sum`, () => {
        for (const valid of [true, false]) {
          const packet = buildSimPacket(kind, 200, 9, valid);
          const frames = splitQmapAggregate(aggregate([{ muxId: 1, packet }], 'v4'), 'v4');
          parseIpForChecksum(packet, 0, packet.length, info);
          expect(verifyWithTrailerChecksum(packet, 0, info, frames[0].trailerChecksum)).to.equal(valid ? 'ok' : 'bad');
        }
      });
    }

    it('should treat UDP checksum 0 as "no checksum" over IPv4 and as bad over IPv6', () => {
      for (const [kind, verdict] of [
        ['ipv4-udp', 'no-checksum'],
        ['ipv6-udp', 'bad'],
      ] as const) {
        const p = buildSimPacket(kind, 100, 1);
        parseIpForChecksum(p, 0, p.length, info);
        p[info.checksumOffset] = 0;
        p[info.checksumOffset + 1] = 0;
        expect(verifyTransportChecksum(p, 0, info)).to.equal(verdict);
      }
    });

    it('should not offer verification for IPv4 fragments, other protocols or IPv6 extension headers', () => {
      const frag = buildSimPacket('ipv4-udp', 100, 1);
      frag[6] = 0x20; // MF
      expect(parseIpForChecksum(frag, 0, frag.length, info)).to.equal('malformed'); // header sum now wrong
      fixIpv4HeaderSum(frag);
      expect(parseIpForChecksum(frag, 0, frag.length, info)).to.equal('unsupported');
      const icmp = buildSimPacket('ipv4-udp', 100, 1);
      icmp[9] = 1;
      fixIpv4HeaderSum(icmp);
      expect(parseIpForChecksum(icmp, 0, icmp.length, info)).to.equal('unsupported');
      const ext = buildSimPacket('ipv6-udp', 100, 1);
      ext[6] = 0; // hop-by-hop
      expect(parseIpForChecksum(ext, 0, ext.length, info)).to.equal('unsupported');
      expect(parseIpForChecksum(new Uint8Array([0x45, 0, 0]), 0, 3, info)).to.equal('malformed');
    });

    for (const mode of ['v4', 'v5'] as const) {
      it(`should request uplink offload (${mode}) so that the modem's sum yields a valid checksum`, () => {
        for (const kind of KINDS) {
          const packet = buildSimPacket(kind, 300, 3);
          const zeroed = packet.slice();
          parseIpForChecksum(zeroed, 0, zeroed.length, info);
          zeroed[info.checksumOffset] = 0xab; // garbage the offload must replace
          const buf = new Uint8Array(400);
          const length = encodeQmapUplinkFrame(buf, 0, 7, zeroed, mode, true);
          const ipOffset = 8; // MAP header + the 4-byte v4 UL or v5 header
          expect(length).to.equal(ipOffset + packet.length);
          const ip = buf.slice(ipOffset, length);
          parseIpForChecksum(ip, 0, ip.length, info);
          if (mode === 'v4') {
            const start = (buf[4] << 8) | buf[5];
            const csumInfo = (buf[6] << 8) | buf[7];
            expect(csumInfo & 0x8000).to.equal(0x8000);
            expect((csumInfo & 0x4000) !== 0).to.equal(kind.endsWith('udp'));
            expect(start).to.equal(info.l4Offset);
            completeOffloadedChecksum(ip, start, ip.length, csumInfo & 0x3fff, kind.endsWith('udp'), true);
          } else {
            expect(buf[0] & 0x40).to.equal(0x40);
            expect(buf[4] >> 1).to.equal(2);
            expect(buf[5] & QMAP_V5_CSUM_VALID).to.equal(QMAP_V5_CSUM_VALID);
            completeOffloadedChecksum(ip, info.l4Offset, info.l4Offset + info.l4Length, info.checksumOffset - info.l4Offset, kind.endsWith('udp'));
          }
          expect(verifyTransportChecksum(ip, 0, info)).to.equal('ok');
          expect(Buffer.compare(ip, packet)).to.equal(0);
        }
      });
    }
  });
});
