import { expect } from 'chai';
import fc from 'fast-check';
import {
  QrtrType,
  QrtrWireError,
  decodeControl,
  encodeControl,
  instanceWord,
  isLookupSentinel,
  qrtrTypeName,
  splitInstanceWord,
} from '../../src/wire';

describe('wire: control packets', () => {
  it('should encode every one of the 11 types to 20 bytes with its union and decode it back', () => {
    const server = { service: 69, instance: instanceWord(1, 7), node: 7, port: 3 };
    const cases: [number, Record<string, number>][] = [
      [QrtrType.DATA, {}],
      [QrtrType.HELLO, {}],
      [QrtrType.BYE, { node: 7 }],
      [QrtrType.NEW_SERVER, server],
      [QrtrType.DEL_SERVER, server],
      [QrtrType.DEL_CLIENT, { node: 7, port: 3 }],
      [QrtrType.RESUME_TX, { node: 7, port: 3 }],
      [QrtrType.EXIT, {}],
      [QrtrType.PING, {}],
      [QrtrType.NEW_LOOKUP, { service: 69, instance: 0 }],
      [QrtrType.DEL_LOOKUP, { service: 69, instance: 0x101 }],
    ];
    for (const [type, fields] of cases) {
      const bytes = encodeControl({ type, ...fields });
      expect(bytes.length).to.equal(20);
      const back = decodeControl(bytes);
      expect(back.type).to.equal(type);
      for (const [k, v] of Object.entries(fields)) expect((back as unknown as Record<string, number>)[k]).to.equal(v, `${qrtrTypeName(type)}.${k}`);
    }
  });

  it('should lay out NEW_SERVER exactly as struct qrtr_ctrl_pkt', () => {
    const bytes = encodeControl({ type: QrtrType.NEW_SERVER, service: 69, instance: 0x701, node: 7, port: 3 });
    expect(Buffer.from(bytes).toString('hex')).to.equal('04000000' + '45000000' + '01070000' + '07000000' + '03000000');
  });

  it('should zero the unused union words of client-type packets', () => {
    const bytes = encodeControl({ type: QrtrType.DEL_CLIENT, service: 9, instance: 9, node: 7, port: 3 });
    expect(Buffer.from(bytes).toString('hex')).to.equal('06000000' + '07000000' + '03000000' + '00000000' + '00000000');
  });

  it('should reject control payloads shorter than 20 bytes with QRTR_CONTROL_TOO_SHORT (§7.1 #9, #10)', () => {
    for (let n = 0; n < 20; n++) {
      expect(() => decodeControl(new Uint8Array(n))).to.throw(QrtrWireError).with.property('code', 'QRTR_CONTROL_TOO_SHORT');
    }
  });

  it('should pack version | instance << 8 and split it back (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffff }), (version, instance) => {
        expect(splitInstanceWord(instanceWord(version, instance))).to.deep.equal({ version, instance });
      }),
    );
    expect(instanceWord(1, 1)).to.equal(0x101);
    expect(() => instanceWord(256, 0)).to.throw().with.property('code', 'QRTRD_INVALID_ARGUMENT');
    expect(() => instanceWord(1, 0x1000000)).to.throw().with.property('code', 'QRTRD_INVALID_ARGUMENT');
  });

  it('should recognise the all-zero end-of-listing sentinel only', () => {
    expect(isLookupSentinel(decodeControl(encodeControl({ type: QrtrType.NEW_SERVER })))).to.equal(true);
    expect(isLookupSentinel(decodeControl(encodeControl({ type: QrtrType.NEW_SERVER, port: 1 })))).to.equal(false);
  });
});
