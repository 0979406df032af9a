import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StreamSocketListener } from '../../../src/testing';
import { entryAfterName, requireLinuxFirmware } from '../../../test/firmware/linux-firmware';
import { plugin, createSimulatedCard } from '../index';
import { pseudoRandomBytes, type SimulatedCard } from '../../wlfw/sim';
import { createRig, type Rig } from '../../wlfw/test/rig';


describe('three identical QCN9074 over --listen, identities from configuration, real firmware-atheros files', function () {
  this.timeout(60_000);
  let rig: Rig | undefined;
  let listener: StreamSocketListener | undefined;
  let dir: string | undefined;
  const cards: SimulatedCard[] = [];
  afterEach(async () => {
    for (const c of cards.splice(0)) c.detach();
    await listener?.close();
    await rig?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('should tell the three apart by node and stop each, typed, before any address: a socket lends no host memory', async function () {
    const real = path.join(requireLinuxFirmware(this), 'ath11k', 'QCN9074', 'hw1.0');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qrtrd-listen-'));
    const chipDir = path.join(dir, 'ath11k', 'QCN9074', 'hw1.0');
    await fs.mkdir(chipDir, { recursive: true });
    for (const f of ['board-2.bin', 'm3.bin']) await fs.symlink(await fs.realpath(path.join(real, f)), path.join(chipDir, f));
    // Per-card caldata, named after the PCI address the configuration gives each remote.
    const addresses = ['0000:51:00.0', '0000:52:00.0', '0000:53:00.0'];
    const caldata = addresses.map((a) => pseudoRandomBytes(`caldata ${a}`, 8 * 1024));
    for (const [i, a] of addresses.entries()) await fs.writeFile(path.join(chipDir, `cal-pci-${a}.bin`), caldata[i]);
    // The remotes present nodes 7, 8, 9: the socket's key (its inode) changes on every connection, the node does not.
    const identities = addresses.map((address, i) => ({ node: 7 + i, address, vendor: '0x17cb', device: '0x1104', subsystemVendor: '0x17cb', subsystemDevice: '0x1104' }));
    rig = await createRig([plugin], { ath11k: { identities, maxAttempts: 1 } }, dir);
    listener = new StreamSocketListener(rig.router, { path: path.join(dir, 'remote.sock') });
    await listener.listen();
    await rig.host.start('ath11k');
    const boardIds = [160, 161, 162];
    const container = await fs.readFile(path.join(real, 'board-2.bin'));
    for (const [i, boardId] of boardIds.entries()) {
      const expectedFiles = { board: entryAfterName(container, `bus=pci,qmi-chip-id=0,qmi-board-id=${boardId}`), regdb: undefined, caldata: caldata[i], m3: undefined };
      const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: addresses[i], boardId, node: 7 + i, expectedFiles });
      cards.push(card);
      await card.connect(listener.path);
    }
    // A listening socket lends no host memory: QCN9074 needs RESPOND_MEM and M3 buffers, so each
    // card stops there with the typed error, each told apart by its node and configured identity,
    // and nothing naming an address reaches the firmware. (The real board entries are checked
    // byte for byte over the MHI link, which lends memory, in linux-firmware.spec.ts.)
    const loader = rig.loader('ath11k');
    for (let waited = 0; loader.snapshot().filter((s) => s.state === 'failed').length < 3; waited += 20) {
      if (waited > 20_000) throw new Error(`not all failed: ${JSON.stringify(loader.snapshot().map((s) => [s.key, s.state]))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const statuses = loader.snapshot();
    expect(statuses.map((s) => [s.key.startsWith('socket:'), s.node, s.state, s.lastError?.code, s.identity?.address])).to.deep.equal(
      addresses.map((a, i) => [true, 7 + i, 'failed', 'DEVICE_MEMORY_UNAVAILABLE', a]),
    );
    for (const card of cards) {
      expect(card.firmware!.violations, card.key).to.deep.equal([]);
      expect(card.log.filter((e) => e.dir === 'rx').map((e) => e.name), card.key).to.not.include('RESPOND_MEM');
    }
  });
});
