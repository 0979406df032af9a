import { expect } from 'chai';
import fc from 'fast-check';
import { QmiDecodeError, QmiEncodeError, QmiResultError, bytes, dms, qmiCodec, qmiRequest, req, qmiTest, rmtfs, wlfw, type QmiMessageSchema } from '../../../src/qmi';
import { arbMessageValue, normalize } from '../codec/arbitraries';

const ALL: Array<[string, Record<string, QmiMessageSchema>]> = [
  ['wlfw', wlfw.messages], ['rmtfs', rmtfs.messages], ['test', qmiTest.messages], ['dms', dms.messages],
];

describe('shipped QMI schemas', () => {
  for (const [pkg, messages] of ALL) {
    describe(pkg, () => {
      for (const [name, schema] of Object.entries(messages)) {
        it(`should round-trip ${name} through both engines`, () => {
          fc.assert(fc.property(arbMessageValue(schema), (value) => {
            const compiled = qmiCodec(schema);
            const wire = compiled.encodeMessage(value as never, 0x1234);
            expect(Array.from(wire)).to.deep.equal(Array.from(qmiCodec(schema, 'interpreted').encodeMessage(value as never, 0x1234)));
            expect(wire.length - 7).to.be.at.most(compiled.maxLength);
            const { header, value: back } = compiled.decodeMessage(wire);
            expect(header).to.include({ type: schema.type, msgId: schema.msgId, txn: 0x1234 });
            expect(normalize(back)).to.deep.equal(normalize(value));
          }), { numRuns: 40 });
        });
      }
    });
  }

  it('should publish the expected service ids', () => {
    expect([wlfw.WLFW_SERVICE_ID, rmtfs.RMTFS_SERVICE_ID, qmiTest.TEST_SERVICE_ID, dms.DMS_SERVICE_ID]).to.deep.equal([0x45, 14, 15, 2]);
  });
});

describe('shipped QMI schemas under fuzzing', () => {
  const schemas = ALL.flatMap(([, messages]) => Object.values(messages));

  it('should reject random bodies only with typed errors', () => {
    fc.assert(fc.property(fc.constantFrom(...schemas), fc.uint8Array({ maxLength: 96 }), (schema, body) => {
      for (const engine of ['compiled', 'interpreted'] as const) {
        try {
          qmiCodec(schema, engine).decode(body);
        } catch (e) {
          if (!(e instanceof QmiDecodeError || e instanceof QmiResultError)) throw e;
        }
      }
    }), { numRuns: 3000 });
  });

  it('should reject mutated valid datagrams only with typed errors, identically in both engines', () => {
    const arb = fc.constantFrom(...schemas).chain((s) => fc.tuple(fc.constant(s), arbMessageValue(s), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat()));
    fc.assert(fc.property(arb, ([schema, value, flips, cut]) => {
      const wire = Uint8Array.from(qmiCodec(schema).encodeMessage(value as never, 9));
      for (const [at, x] of flips) wire[at % wire.length] ^= x;
      const datagram = cut % 2 ? wire.subarray(0, cut % wire.length) : wire;
      const codes = (['compiled', 'interpreted'] as const).map((engine) => {
        try {
          qmiCodec(schema, engine).decodeMessage(datagram);
          return 'ok';
        } catch (e) {
          if (!(e instanceof QmiDecodeError || e instanceof QmiResultError)) throw e;
          return e.code;
        }
      });
      expect(codes[0]).to.equal(codes[1]);
    }), { numRuns: 2000 });
  });

  it('should refuse a non-object value and a body over 65535 bytes with QmiEncodeError', () => {
    const codec = qmiCodec(qmiTest.test_data_req);
    expect(() => codec.encode(null as never)).to.throw(QmiEncodeError).with.property('code', 'QMI_ENCODE_STRUCT');
    const two = qmiRequest('two_blobs', 1, { a: req(1, bytes(40000)), b: req(2, bytes(40000)) });
    const blob = new Uint8Array(40000);
    expect(qmiCodec(two).encode({ a: blob, b: blob }).length).to.equal(2 * (3 + 2 + 40000));
    expect(() => qmiCodec(two).encodeMessage({ a: blob, b: blob }, 1)).to.throw(QmiEncodeError).with.property('code', 'QMI_ENCODE_OVERFLOW');
  });
});
