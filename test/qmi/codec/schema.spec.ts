import { expect } from 'chai';
import { InvalidArgumentError } from '../../../src/common/errors';
import {
  bytes, fixedArray, i64, opt, parseQmi, qmiMessage, qmiRequest, req, str, struct, u16, u32, u8, varArray,
  QmiIdlError, type QmiValue,
} from '../../../src/qmi';

describe('QMI schema builders', () => {
  it('should pick the qmic count width (1 byte below 256) unless told otherwise', () => {
    expect(varArray(u8, 255).countWidth).to.equal(1);
    expect(varArray(u8, 256).countWidth).to.equal(2);
    expect(varArray(u8, 10, 2).countWidth).to.equal(2);
  });

  it('should refuse impossible declarations with InvalidArgumentError', () => {
    const bad: Array<() => unknown> = [
      () => varArray(u8, 300, 1),
      () => fixedArray(u8, -1),
      () => str(70000),
      () => req(256, u8),
      () => struct('empty', {}),
      () => struct('proto', { ['__proto__']: u8 } as Record<string, typeof u8>),
      () => qmiMessage('dup', 1, { a: opt(0x10, u8), b: opt(0x10, u16) }),
      () => qmiMessage('bad name', 1, {}),
      () => qmiMessage('big_id', 0x10000, {}),
    ];
    for (const f of bad) expect(f).to.throw(InvalidArgumentError);
  });

  it('should refuse __proto__ as a .qmi field name with a located QmiIdlError', () => {
    expect(() => parseQmi('package p; request r { optional u8 __proto__ = 0x10; } = 1;')).to.throw(QmiIdlError).with.property('code', 'QMI_IDL_SYNTAX');
  });

  it('should infer value types from the schema (compile-time checks)', () => {
    const s = qmiRequest('typed_req', 1, {
      id: req(1, u32),
      blob: opt(0x10, bytes(8)),
      big: opt(0x11, i64),
      recs: opt(0x12, varArray(struct('rec', { a: u8, name: str(8) }), 4)),
    });
    type V = QmiValue<typeof s>;
    const ok: V = { id: 1, blob: new Uint8Array(2), big: -1n, recs: [{ a: 1, name: 'x' }] };
    // @ts-expect-error id is mandatory
    const noId: V = {};
    // @ts-expect-error big is a bigint
    const wrongBig: V = { id: 1, big: 1 };
    // @ts-expect-error struct members are all required
    const partial: V = { id: 1, recs: [{ a: 1 }] };
    expect([ok, noId, wrongBig, partial]).to.have.length(4);
  });
});
