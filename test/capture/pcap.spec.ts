import { expect } from 'chai';
import fc from 'fast-check';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import {
  CaptureReadFailedError,
  CaptureWriteFailedError,
  CaptureWriterClosedError,
  LINKTYPE_QRTRD,
  PCAP_SNAPLEN_QRTRD,
  PSEUDO_HEADER_FLAG_KIND_TRUNCATED,
  PcapFormatError,
  PcapReader,
  PcapStreamParser,
  PcapWriter,
  QRTR_MAX_PACKET_LENGTH,
  captureRecordLength,
  encodeCaptureRecordInto,
  encodePcapGlobalHeaderInto,
  readCaptureFile,
  readCaptureStream,
  type CaptureRecordInput,
} from '../../src/capture';
import { QrtrdError } from '../../src/common/errors';
import { tempDir } from './tmp';

const trace = (over: Partial<CaptureRecordInput> = {}): CaptureRecordInput => ({
  direction: 'rx',
  endpoint: 2,
  backendKind: 'mhi',
  packet: Uint8Array.from({ length: 36 }, (_, i) => i),
  timestamp: 1_700_000_000_123,
  ...over,
});

/** A whole file in memory: global header plus one record per trace. */
function fileOf(traces: CaptureRecordInput[]): Uint8Array {
  const out = new Uint8Array(24 + traces.reduce((n, t) => n + captureRecordLength(t), 0));
  let o = encodePcapGlobalHeaderInto(out, 0);
  for (const t of traces) o += encodeCaptureRecordInto(out, o, t);
  return out;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(PcapFormatError);
    return (error as QrtrdError).code;
  }
  return 'NO_ERROR';
}

const arbTrace: fc.Arbitrary<CaptureRecordInput> = fc.record({
  direction: fc.constantFrom('rx' as const, 'tx' as const, 'local' as const),
  endpoint: fc.nat({ max: 0xffffffff }),
  backendKind: fc.oneof(
    fc.constantFrom('local', 'mhi', 'rpmsg', 'tun', 'socket', 'kernel', 'memory'),
    fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, '?')),
  ),
  packet: fc.uint8Array({ maxLength: 300 }),
  timestamp: fc.integer({ min: 0, max: 4_000_000_000_000 }),
});

describe('PcapWriter / PcapReader', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('pcap')));
  afterEach(() => tmp.cleanup());

  it('should write a classic little-endian pcap 2.4 header with microseconds, the qrtrd snaplen and LINKTYPE_USER3 (150)', async () => {
    const path = tmp.file('h.pcap');
    const writer = await PcapWriter.open(path);
    await writer.close();
    const bytes = readFileSync(path);
    expect(bytes.length).to.equal(24);
    expect(bytes.readUInt32LE(0)).to.equal(0xa1b2c3d4);
    expect([bytes.readUInt16LE(4), bytes.readUInt16LE(6)]).to.deep.equal([2, 4]);
    expect(bytes.readUInt32LE(16)).to.equal(PCAP_SNAPLEN_QRTRD);
    expect(bytes.readUInt32LE(20)).to.equal(150);
    expect(LINKTYPE_QRTRD).to.equal(150);
  });

  it('should lay out the record and the 16-byte pseudo-header as documented', async () => {
    const path = tmp.file('r.pcap');
    const writer = await PcapWriter.open(path);
    writer.write(trace({ direction: 'tx', endpoint: 0x01020304, backendKind: 'rpmsg', timestamp: 1_700_000_000_123.456 }));
    await writer.close();
    const b = readFileSync(path).subarray(24);
    expect([b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)]).to.deep.equal([1_700_000_000, 123_456, 52, 52]);
    expect([...b.subarray(16, 32)]).to.deep.equal([1, 1, 16, 0, 4, 3, 2, 1, 3, 0, 0, 0, 0, 0, 0, 0]);
    expect([...b.subarray(32)]).to.deep.equal([...trace().packet]);
  });

  it('should carry an unknown backend kind by name, padded to 4 bytes, and flag a name cut at 64 bytes', () => {
    const file = fileOf([trace({ backendKind: 'bam-dmux' }), trace({ backendKind: 'x'.repeat(70) })]);
    const [a, b] = new PcapReader(file).readAll();
    expect(a!.backendKind).to.equal('bam-dmux');
    expect(a!.flags).to.equal(0);
    expect(file[24 + 16 + 2]).to.equal(24); // 16 + "bam-dmux" (8)
    expect(file[24 + 16 + 8]).to.equal(0); // kind code 0: named
    expect(b!.backendKind).to.equal('x'.repeat(64));
    expect(b!.flags & PSEUDO_HEADER_FLAG_KIND_TRUNCATED).to.equal(PSEUDO_HEADER_FLAG_KIND_TRUNCATED);
  });

  it('should round-trip any traces through a file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbTrace, { maxLength: 20 }), fc.integer({ min: 1024, max: 4096 }), async (traces, chunkSize) => {
        const path = tmp.file('rt.pcap');
        const writer = await PcapWriter.open(path, { chunkSize });
        for (const t of traces) writer.write(t);
        await writer.close();
        const records = await readCaptureFile(path);
        expect(records.map((r) => [r.direction, r.endpoint, r.backendKind, [...r.packet], r.timestamp, r.truncated])).to.deep.equal(
          traces.map((t) => [t.direction, t.endpoint, t.backendKind.slice(0, 64), [...t.packet], t.timestamp, false]),
        );
        expect(records.map((r) => r.index)).to.deep.equal(traces.map((_, i) => i + 1));
        expect(writer.recordsWritten).to.equal(traces.length);
        expect(writer.bytesWritten).to.equal(readFileSync(path).length);
      }),
      { numRuns: 40 },
    );
  });

  it('should copy the packet at write(), so the caller may reuse its buffer at once', async () => {
    const path = tmp.file('reuse.pcap');
    const writer = await PcapWriter.open(path);
    const buf = new Uint8Array(8).fill(0xaa);
    writer.write(trace({ packet: buf }));
    buf.fill(0x55);
    writer.write(trace({ packet: buf }));
    await writer.close();
    const records = await readCaptureFile(path);
    expect(records.map((r) => r.packet[0])).to.deep.equal([0xaa, 0x55]);
  });

  it('should cut a packet beyond the snaplen and keep its original length', async () => {
    const path = tmp.file('big.pcap');
    const writer = await PcapWriter.open(path);
    const big = new Uint8Array(QRTR_MAX_PACKET_LENGTH + 100).fill(7);
    writer.write(trace({ packet: big }));
    writer.write(trace({ packet: Uint8Array.of(1, 2, 3, 4) }));
    await writer.close();
    const [a, b] = await readCaptureFile(path);
    expect(a!.truncated).to.equal(true);
    expect(a!.originalLength).to.equal(16 + big.length);
    expect(a!.packet.length).to.equal(PCAP_SNAPLEN_QRTRD - 16);
    expect([...b!.packet]).to.deep.equal([1, 2, 3, 4]);
  });

  it('should report backpressure past the high-water mark and resolve drain() once written', async () => {
    const path = tmp.file('bp.pcap');
    const writer = await PcapWriter.open(path, { highWaterMark: 256 });
    const results: boolean[] = [];
    for (let i = 0; i < 10; i++) results.push(writer.write(trace({ packet: new Uint8Array(64) })));
    expect(results[0]).to.equal(true);
    expect(results[9]).to.equal(false);
    await writer.drain();
    expect(writer.pendingBytes).to.be.below(256);
    await writer.close();
    expect(await readCaptureFile(path)).to.have.length(10);
  });

  it('should make every record written so far readable after flush(), before close()', async () => {
    const path = tmp.file('flush.pcap');
    const writer = await PcapWriter.open(path);
    writer.write(trace());
    writer.write(trace({ direction: 'local' }));
    await writer.flush();
    expect((await readCaptureFile(path)).map((r) => r.direction)).to.deep.equal(['rx', 'local']);
    await writer.close();
  });

  it('should throw CaptureWriterClosedError on write after close, and close idempotently', async () => {
    const writer = await PcapWriter.open(tmp.file('c.pcap'));
    await writer.close();
    await writer.close();
    expect(() => writer.write(trace())).to.throw(CaptureWriterClosedError).with.property('code', 'CAPTURE_WRITER_CLOSED');
  });

  it('should reject open() of an unwritable path with CaptureWriteFailedError carrying the errno', async () => {
    const err = await PcapWriter.open(tmp.file('missing/dir/x.pcap')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CaptureWriteFailedError);
    expect((err as CaptureWriteFailedError).details.errno).to.equal('ENOENT');
  });

  it('should surface a failed open of create() on write, flush and close', async () => {
    const writer = PcapWriter.create(tmp.file('missing/x.pcap'));
    writer.write(trace());
    const err = await writer.flush().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CaptureWriteFailedError);
    expect(() => writer.write(trace())).to.throw(CaptureWriteFailedError);
    expect(await writer.close().then(() => 'ok', (e: QrtrdError) => e.code)).to.equal('CAPTURE_WRITE_FAILED');
  });

  it('should reject a missing file with CaptureReadFailedError', async () => {
    const err = await PcapReader.fromFile(tmp.file('nope.pcap')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CaptureReadFailedError);
    expect((err as CaptureReadFailedError).details.errno).to.equal('ENOENT');
  });

  it('should read big-endian and nanosecond files', () => {
    const le = fileOf([trace({ timestamp: 1_000_000_000_500.25 })]);
    const be = Buffer.from(le);
    for (const o of [0, 8, 12, 16, 20, 24, 28, 32, 36]) be.writeUInt32BE(Buffer.from(le).readUInt32LE(o), o);
    be.writeUInt16BE(2, 4);
    be.writeUInt16BE(4, 6);
    const [r] = new PcapReader(be).readAll();
    expect(r!.timestamp).to.equal(1_000_000_000_500.25);
    expect(new PcapReader(be).header.littleEndian).to.equal(false);
    const ns = Buffer.from(le);
    ns.writeUInt32LE(0xa1b23c4d, 0);
    ns.writeUInt32LE(500_250_000, 28);
    expect(new PcapReader(ns).readAll()[0]!.timestamp).to.equal(1_000_000_000_500.25);
  });

  describe('malformed files', () => {
    const good = fileOf([trace(), trace({ backendKind: 'bam-dmux' })]);
    const mutate = (f: (b: Buffer) => void, base: Uint8Array = good): Buffer => {
      const b = Buffer.from(base);
      f(b);
      return b;
    };
    const rec = 24; // first record header
    const ph = 24 + 16; // first pseudo-header
    const cases: [string, Uint8Array, string][] = [
      ['a file shorter than the global header', good.subarray(0, 23), 'CAPTURE_PCAP_TRUNCATED_FILE_HEADER'],
      ['pcapng or other magic', mutate((b) => b.writeUInt32LE(0x0a0d0d0a, 0)), 'CAPTURE_PCAP_BAD_MAGIC'],
      ['version 1.0', mutate((b) => b.writeUInt16LE(1, 4)), 'CAPTURE_PCAP_UNSUPPORTED_VERSION'],
      ['snaplen 0', mutate((b) => b.writeUInt32LE(0, 16)), 'CAPTURE_PCAP_BAD_SNAPLEN'],
      ['snaplen above 256 KiB', mutate((b) => b.writeUInt32LE(262145, 16)), 'CAPTURE_PCAP_BAD_SNAPLEN'],
      ['Ethernet link type', mutate((b) => b.writeUInt32LE(1, 20)), 'CAPTURE_PCAP_WRONG_LINK_TYPE'],
      ['a record header cut short', good.subarray(0, rec + 10), 'CAPTURE_PCAP_TRUNCATED_RECORD_HEADER'],
      ['record data cut short', good.subarray(0, rec + 16 + 20), 'CAPTURE_PCAP_TRUNCATED_RECORD'],
      ['captured length above original', mutate((b) => b.writeUInt32LE(51, rec + 12)), 'CAPTURE_PCAP_BAD_RECORD_LENGTH'],
      ['captured length above snaplen', mutate((b) => b.writeUInt32LE(50, 16)), 'CAPTURE_PCAP_BAD_RECORD_LENGTH'],
      ['microseconds of a whole second', mutate((b) => b.writeUInt32LE(1_000_000, rec + 4)), 'CAPTURE_PCAP_BAD_TIMESTAMP'],
      ['a record shorter than the pseudo-header', mutate((b) => { b.writeUInt32LE(8, rec + 8); b.writeUInt32LE(8, rec + 12); }), 'CAPTURE_PSEUDO_HEADER_TRUNCATED'],
      ['pseudo-header version 2', mutate((b) => (b[ph] = 2)), 'CAPTURE_PSEUDO_HEADER_BAD_VERSION'],
      ['direction 3', mutate((b) => (b[ph + 1] = 3)), 'CAPTURE_PSEUDO_HEADER_BAD_DIRECTION'],
      ['header length 18 (unaligned)', mutate((b) => (b[ph + 2] = 18)), 'CAPTURE_PSEUDO_HEADER_BAD_LENGTH'],
      ['header length 12', mutate((b) => (b[ph + 2] = 12)), 'CAPTURE_PSEUDO_HEADER_BAD_LENGTH'],
      ['a kind name longer than the header', mutate((b) => (b[ph + 9] = 4)), 'CAPTURE_PSEUDO_HEADER_BAD_LENGTH'],
      ['header length past the record', mutate((b) => (b[ph + 2] = 252)), 'CAPTURE_PSEUDO_HEADER_TRUNCATED'],
      ['an unknown kind code with no name', mutate((b) => (b[ph + 8] = 200)), 'CAPTURE_PSEUDO_HEADER_BAD_KIND'],
      ['a control byte in the kind name', mutate((b) => (b[24 + 16 + 52 + 16 + 16 + 3] = 0x07)), 'CAPTURE_PSEUDO_HEADER_BAD_KIND_NAME'],
    ];
    for (const [what, bytes, code] of cases) {
      it(`should reject ${what} with ${code}`, () => {
        expect(codeOf(() => new PcapReader(bytes).readAll())).to.equal(code);
      });
    }

    it('should name the offset of the bad record and keep the records before it', () => {
      const bad = mutate((b) => (b[24 + 16 + 52 + 16 + 1] = 9));
      const reader = new PcapReader(bad);
      expect(reader.next()!.index).to.equal(1);
      try {
        reader.next();
        expect.fail('expected a PcapFormatError');
      } catch (error) {
        expect((error as QrtrdError).code).to.equal('CAPTURE_PSEUDO_HEADER_BAD_DIRECTION');
      }
      expect(codeOf(() => reader.next())).to.equal('CAPTURE_PSEUDO_HEADER_BAD_DIRECTION');
    });

    it('should only ever throw PcapFormatError subclasses on mutated or random files (fuzz)', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: good.length })).map(
              ([at, value, cut]) => mutate((b) => (b[at] = value)).subarray(0, Math.max(cut, 24)),
            ),
          ),
          (bytes) => {
            try {
              for (const r of new PcapReader(bytes)) expect(r.offset).to.be.below(bytes.length);
            } catch (error) {
              if (!(error instanceof PcapFormatError)) throw error;
              expect(error.code).to.match(/^CAPTURE_(PCAP|PSEUDO_HEADER)_[A-Z_]+$/);
            }
          },
        ),
        { numRuns: 2000 },
      );
    });
  });

  it('should write through a real file what the in-memory encoder produces', async () => {
    const path = tmp.file('same.pcap');
    const traces = [trace(), trace({ backendKind: 'bam-dmux', direction: 'local' })];
    const writer = await PcapWriter.open(path);
    for (const t of traces) writer.write(t);
    await writer.close();
    expect(Buffer.compare(readFileSync(path), Buffer.from(fileOf(traces)))).to.equal(0);
    writeFileSync(tmp.file('unused'), '');
  });
});

describe('PcapStreamParser / readCaptureStream', () => {
  const traces = [trace(), trace({ backendKind: 'bam-dmux', direction: 'tx' }), trace({ packet: new Uint8Array(0), endpoint: 0 })];
  const file = fileOf(traces);
  const view = (rs: { direction: string; endpoint: number; backendKind: string; packet: Uint8Array; offset: number; index: number }[]) =>
    rs.map((r) => [r.direction, r.endpoint, r.backendKind, [...r.packet], r.offset, r.index]);

  it('should yield the same records as PcapReader whatever the chunking', async () => {
    const expected = view(new PcapReader(file).readAll());
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: file.length }), { maxLength: 12 }), async (cuts) => {
        const points = [...new Set([0, ...cuts, file.length])].sort((a, b) => a - b);
        // Each chunk is a fresh copy, as a read stream delivers them.
        const chunks = points.slice(1).map((end, i) => file.slice(points[i], end));
        const got = [];
        for await (const r of readCaptureStream(chunks)) got.push(r);
        expect(view(got)).to.deep.equal(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('should read a file through fs.createReadStream', async () => {
    const tmp = tempDir('stream');
    try {
      const path = tmp.file('s.pcap');
      writeFileSync(path, file);
      const got = [];
      for await (const r of readCaptureStream(createReadStream(path, { highWaterMark: 7 }), path)) got.push(r);
      expect(view(got)).to.deep.equal(view(new PcapReader(file).readAll()));
    } finally {
      tmp.cleanup();
    }
  });

  it('should reject a stream cut inside a record at its end with a typed error', async () => {
    for (const [cut, code] of [
      [10, 'CAPTURE_PCAP_TRUNCATED_FILE_HEADER'],
      [24 + 8, 'CAPTURE_PCAP_TRUNCATED_RECORD_HEADER'],
      [24 + 20, 'CAPTURE_PCAP_TRUNCATED_RECORD'],
    ] as const) {
      const got: unknown[] = [];
      const err = await (async () => {
        for await (const r of readCaptureStream([file.slice(0, cut)])) got.push(r);
      })().then(
        () => undefined,
        (e: QrtrdError) => e.code,
      );
      expect(err, `cut at ${cut}`).to.equal(code);
    }
  });

  it('should hand out the records before a malformed one, then throw', () => {
    const bad = Buffer.from(file);
    bad[24 + 68 + 16 + 1] = 7; // second record (after a 68-byte first one): direction 7
    const parser = new PcapStreamParser();
    expect(parser.push(bad).map((r) => r.index)).to.deep.equal([1]);
    expect(() => parser.push(new Uint8Array(0))).to.throw(PcapFormatError).with.property('code', 'CAPTURE_PSEUDO_HEADER_BAD_DIRECTION');
    expect(() => parser.end()).to.throw(PcapFormatError);
    const head = new PcapStreamParser();
    expect(() => head.push(Buffer.alloc(24))).to.throw(PcapFormatError).with.property('code', 'CAPTURE_PCAP_BAD_MAGIC');
    expect(() => head.push(Buffer.alloc(1))).to.throw(PcapFormatError).with.property('code', 'CAPTURE_PCAP_BAD_MAGIC');
  });

  it('should report a failing source as CaptureReadFailedError', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield file.slice(0, 30);
      throw Object.assign(new Error('EIO'), { code: 'EIO' });
    }
    const err = await (async () => {
      for await (const _ of readCaptureStream(failing(), 'dev')) void _;
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CaptureReadFailedError);
    expect((err as CaptureReadFailedError).details).to.deep.equal({ path: 'dev', errno: 'EIO' });
  });
});
