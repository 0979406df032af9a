import { expect } from 'chai';
import fc from 'fast-check';
import { dms, qmiCodec, qmiTest, rmtfs, wlfw, type QmiMessageSchema } from '../../../src/qmi';
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
