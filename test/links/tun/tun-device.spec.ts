import { expect } from 'chai';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkIoError } from '../../../src/links/errors';
import { openTunDevice } from '../../../src/links/tun';
import { tempDir } from '../helpers';

describe('openTunDevice', () => {
  it('should key the endpoint by the inode of the opened device', async () => {
    // Any file opens the same way; this host has no /dev/qrtr-tun (the guest checks open the real one).
    const dir = tempDir('tun');
    try {
      const path = join(dir.dir, 'qrtr-tun');
      writeFileSync(path, new Uint8Array(0));
      const { device, backendKey } = await openTunDevice(path);
      expect(backendKey).to.deep.equal({ kind: 'tun', key: String(statSync(path).ino) });
      device.close();
    } finally {
      dir.remove();
    }
  });

  it('should fail with LinkIoError naming the path when the device cannot be opened', async () => {
    let error: unknown;
    await openTunDevice('/nonexistent/qrtr-tun').catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(LinkIoError);
    expect((error as Error).message).to.include('/nonexistent/qrtr-tun');
  });
});
