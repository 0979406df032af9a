import { expect } from 'chai';
import { unlinkSync } from 'node:fs';
import { qmiCodec, type QmiMessageSchema } from '../../../src/qmi';
import { buildKernelHarness, comparisonMessages, runHarness } from '../../../bench/qmi-c/harness';
import { toHex } from './helpers';

describe('QMI codec vs the kernel encoder (qmi_encdec.c)', function () {
  this.timeout(120000);
  let binary: string | undefined;
  let reason = '';

  before(function () {
    const h = buildKernelHarness();
    if (h.ok) binary = h.binary;
    else reason = h.reason;
  });

  after(() => {
    if (binary) unlinkSync(binary);
  });

  it('should produce the kernel encoder\'s exact datagrams for IND_REGISTER, CAP resp and BDF_DOWNLOAD', function () {
    if (!binary) {
      console.log(`      (pending: kernel encoder unavailable: ${reason})`);
      this.skip();
    }
    const kernel = runHarness(binary!, true);
    for (const m of comparisonMessages()) {
      const codec = qmiCodec(m.schema as QmiMessageSchema);
      const ours = toHex(codec.encodeMessage(m.value as never, 1)).replace(/ /g, '');
      expect(ours, m.name).to.equal(kernel.get(m.name)![0]);
      const decoded = codec.decodeMessage(Buffer.from(kernel.get(m.name)![0]!, 'hex')).value;
      expect(toHex(codec.encode(decoded as never))).to.equal(toHex(codec.encode(m.value as never)));
    }
  });
});
