import { expect } from 'chai';
import fc from 'fast-check';
import { constants } from 'node:os';
import { QrtrdError } from '../../src/common/errors';
import {
  errnoName,
  kernelSocketError,
  KernelAddressInUseError,
  KernelMessageTooLargeError,
  KernelNodeUnreachableError,
  KernelOptionUnsupportedError,
  KernelPermissionError,
  KernelPortUnreachableError,
  KernelQrtrUnsupportedError,
  KernelQueueFullError,
  KernelSocketError,
} from '../../src/kernel';

const { errno } = constants;

describe('kernelSocketError()', function () {
  const table: Array<[string, new (...args: never[]) => KernelSocketError, string]> = [
    ['EAFNOSUPPORT', KernelQrtrUnsupportedError, 'KERNEL_QRTR_UNSUPPORTED'],
    ['EADDRINUSE', KernelAddressInUseError, 'KERNEL_ADDRESS_IN_USE'],
    ['EPERM', KernelPermissionError, 'KERNEL_PERMISSION_DENIED'],
    ['EACCES', KernelPermissionError, 'KERNEL_PERMISSION_DENIED'],
    ['ENOPROTOOPT', KernelOptionUnsupportedError, 'KERNEL_OPTION_UNSUPPORTED'],
    ['EOPNOTSUPP', KernelOptionUnsupportedError, 'KERNEL_OPTION_UNSUPPORTED'],
    ['ENODEV', KernelPortUnreachableError, 'KERNEL_PORT_UNREACHABLE'],
    ['ECONNRESET', KernelNodeUnreachableError, 'KERNEL_NODE_UNREACHABLE'],
    ['ENXIO', KernelNodeUnreachableError, 'KERNEL_NODE_UNREACHABLE'],
    ['EPIPE', KernelNodeUnreachableError, 'KERNEL_NODE_UNREACHABLE'],
    ['ENOSPC', KernelQueueFullError, 'KERNEL_QUEUE_FULL'],
    ['EMSGSIZE', KernelMessageTooLargeError, 'KERNEL_MESSAGE_TOO_LARGE'],
  ];

  for (const [name, type, code] of table) {
    it(`should map ${name} to ${type.name} (${code})`, function () {
      const error = kernelSocketError((errno as Record<string, number>)[name], 'bind(node=1, port=16384)');
      expect(error).to.be.instanceOf(type).and.instanceOf(KernelSocketError).and.instanceOf(QrtrdError);
      expect(error.code).to.equal(code);
      expect(error.name).to.equal(type.name);
      expect(error.errno).to.equal(name);
      expect(error.operation).to.equal('bind(node=1, port=16384)');
      expect(error.message).to.match(new RegExp(`^bind\\(node=1, port=16384\\) failed: ${name}`));
      expect(error.toJSON().details).to.deep.equal({ errno: name, errnoNumber: (errno as Record<string, number>)[name], operation: 'bind(node=1, port=16384)' });
    });
  }

  it('should map any other errno to a plain KernelSocketError carrying its name', function () {
    const error = kernelSocketError(errno.EINVAL, 'sendto(node=1, port=0x4000)');
    expect(error.constructor).to.equal(KernelSocketError);
    expect(error.code).to.equal('KERNEL_SOCKET_ERROR');
    expect(error.message).to.equal('sendto(node=1, port=0x4000) failed: EINVAL');
  });

  it('should keep errno number, name and operation for every errno value', function () {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4095 }), fc.string(), (value, operation) => {
        const error = kernelSocketError(value, operation);
        expect(error).to.be.instanceOf(KernelSocketError);
        expect(error.errnoNumber).to.equal(value);
        expect(error.errno).to.equal(errnoName(value));
        expect(error.message.startsWith(`${operation} failed: ${error.errno}`)).to.equal(true);
      }),
    );
  });
});

describe('errnoName()', function () {
  it('should prefer the names the kernel sources use for shared numbers', function () {
    expect(errnoName(errno.EOPNOTSUPP)).to.equal('EOPNOTSUPP');
    expect(errnoName(errno.EAGAIN)).to.equal('EAGAIN');
    expect(errnoName(errno.EAFNOSUPPORT)).to.equal('EAFNOSUPPORT');
  });

  it('should name unknown values E<number>', function () {
    expect(errnoName(40000)).to.equal('E40000');
  });
});
