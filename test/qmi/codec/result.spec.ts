import { expect } from 'chai';
import { QMI_ERROR_NAMES, QmiResultError, checkResult, qmiCodec, qmiErrorName, wlfw } from '../../../src/qmi';
import { catchError } from './arbitraries';
import { hexBytes } from './helpers';

describe('QMI result TLV', () => {
  it('should name the kernel errors and the libqmi extras', () => {
    expect(QMI_ERROR_NAMES[90]).to.equal('INCOMPATIBLE_STATE');
    expect(qmiErrorName(0x5e)).to.equal('NOT_SUPPORTED');
    expect(qmiErrorName(48)).to.equal('INVALID_ARGUMENT');
    expect(qmiErrorName(0x1234)).to.equal('UNKNOWN_0x1234');
  });

  it('should pass a success result and throw QmiResultError with error details on failure', () => {
    checkResult({ result: 0, error: 0 });
    const e = catchError(() => checkResult({ result: 1, error: 90 }, 'wlfw_host_cap_req')) as QmiResultError;
    expect(e).to.be.instanceOf(QmiResultError);
    expect(e).to.include({ code: 'QMI_RESULT_ERROR', result: 1, error: 90, errorName: 'INCOMPATIBLE_STATE' });
    expect(e.message).to.contain('wlfw_host_cap_req');
  });

  it('should check the result of a decoded response through its codec ("host capability request failed: 1 90")', () => {
    const codec = qmiCodec(wlfw.wlfw_host_cap_resp);
    const v = codec.decode(hexBytes('02 04 00 01 00 5a 00'));
    expect(v.resp).to.deep.equal({ result: 1, error: 90 });
    expect(catchError(() => codec.checkResult(v))).to.have.property('errorName', 'INCOMPATIBLE_STATE');
    codec.checkResult(codec.decode(hexBytes('02 04 00 00 00 00 00')));
  });
});
