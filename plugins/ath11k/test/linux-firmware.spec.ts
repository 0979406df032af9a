import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { entryAfterName, requireLinuxFirmware } from '../../../test/firmware/linux-firmware';
import { plugin, createSimulatedCard, type WlfwCardStatus } from '../index';
import { pseudoRandomBytes, sha256, type SimulatedCard } from '../../wlfw/sim';
import { createRig, type Rig } from '../../wlfw/test/rig';


interface Case {
  readonly chip: string;
  readonly hw: string;
  readonly boardId: number;
  readonly address: string;
  /** The name the kernel finds the board data under. */
  readonly name: string;
  readonly subsystem?: { vendor: number; device: number };
  readonly variant?: string;
}

const qcn = [160, 161, 162, 163, 164, 255].map((boardId, i): Case => ({
  chip: 'QCN9074', hw: 'hw1.0', boardId, address: `0000:1${i}:00.0`, name: `bus=pci,qmi-chip-id=0,qmi-board-id=${boardId}`,
}));
const wcn = ([
  [0x17cb, 0x3374, 262, undefined],
  [0x14cd, 0x9409, 255, undefined],
  [0x105b, 0xe0ce, 255, undefined],
  // A variant no entry has: the fallback name without it matches (ath11k_core_create_fallback_board_name).
  [0x17aa, 0x9309, 255, 'NoSuchVariant'],
] as const).map(([vendor, device, boardId, variant], i): Case => ({
  chip: 'WCN6855', hw: 'hw2.0', boardId, address: `0000:2${i}:00.0`, subsystem: { vendor, device }, variant,
  name: `bus=pci,vendor=17cb,device=1103,subsystem-vendor=${vendor.toString(16).padStart(4, '0')},subsystem-device=${device.toString(16).padStart(4, '0')},qmi-chip-id=2,qmi-board-id=${boardId}`,
}));
const qca = [255, 4].map((boardId, i): Case => ({ chip: 'QCA6390', hw: 'hw2.0', boardId, address: `0000:3${i}:00.0`, name: `bus=pci,qmi-chip-id=0,qmi-board-id=${boardId}` }));
const wcn6750: Case = { chip: 'WCN6750', hw: 'hw1.0', boardId: 5, address: '0000:40:00.0', name: 'bus=ahb,qmi-chip-id=1,qmi-board-id=5' };
const CASES: readonly Case[] = [...qcn, ...wcn, ...qca, wcn6750];

/** The card of qcn[1] has its own cal-pci-<address>.bin; the others take caldata.bin. */
const OWN_CAL = qcn[1].address;

describe("ath11k loader on Debian's firmware-atheros (real linux-firmware files, byte-exact)", function () {
  this.timeout(120_000);
  let real: string;
  let dir: string;
  let rig: Rig;
  const cards = new Map<Case, SimulatedCard>();
  const statuses = new Map<string, WlfwCardStatus>();
  const caldata = pseudoRandomBytes('test caldata.bin', 8 * 1024 + 64);
  const ownCal = pseudoRandomBytes('test own caldata', 8 * 1024 + 64);

  before(async function () {
    real = path.join(requireLinuxFirmware(this), 'ath11k');
    // The real files, linked into a firmware tree of our own; caldata is per board and never shipped, so ours is synthetic.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qrtrd-linux-firmware-'));
    for (const c of new Set(CASES.map((k) => `${k.chip}/${k.hw}`))) {
      const to = path.join(dir, 'ath11k', c);
      await fs.mkdir(to, { recursive: true });
      for (const f of await fs.readdir(path.join(real, c))) await fs.symlink(await fs.realpath(path.join(real, c, f)), path.join(to, f));
    }
    await fs.writeFile(path.join(dir, 'ath11k', 'QCN9074', 'hw1.0', 'caldata.bin'), caldata);
    await fs.writeFile(path.join(dir, 'ath11k', 'QCN9074', 'hw1.0', `cal-pci-${OWN_CAL}.bin`), ownCal);
    const identities = CASES.filter((c) => c.variant).map((c) => ({ key: `mhi:${c.address}`, variant: c.variant }));
    rig = await createRig([plugin], { ath11k: { identities, requestTimeoutMs: 5000, indicationTimeoutMs: 5000 } }, dir);
    await rig.host.start('ath11k');
    for (const c of CASES) {
      const container = await fs.readFile(path.join(real, c.chip, c.hw, 'board-2.bin'));
      const regdbFile = path.join(real, c.chip, c.hw, 'regdb.bin');
      const expectedFiles = {
        board: entryAfterName(container, c.name),
        regdb: c.chip === 'WCN6750' ? entryAfterNameIn(container, 1, c.name) : c.chip === 'WCN6855' ? await fs.readFile(regdbFile) : undefined,
        caldata: c.chip === 'QCN9074' ? (c.address === OWN_CAL ? ownCal : caldata) : undefined,
        m3: undefined,
      };
      const card = createSimulatedCard({ chip: c.chip, pciAddress: c.address, boardId: c.boardId, subsystem: c.subsystem, expectedFiles });
      cards.set(c, card);
      await card.attach(rig.router);
    }
    for (const s of await rig.loader('ath11k').whenReady(CASES.map((c) => `mhi:${c.address}`), 100_000)) statuses.set(s.key, s);
  });

  after(async () => {
    await rig?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`should send ${c.chip} board ${c.boardId}${c.subsystem ? ` (subsystem ${c.subsystem.vendor.toString(16)}:${c.subsystem.device.toString(16)})` : ''}${c.variant ? ' with an unknown variant' : ''} the entry '${c.name}'`, async () => {
      const card = cards.get(c)!;
      const status = statuses.get(card.key)!;
      expect(card.firmware!.violations).to.deep.equal([]);
      const board = entryAfterName(await fs.readFile(path.join(real, c.chip, c.hw, 'board-2.bin')), c.name);
      const boardType = board.subarray(0, 4).toString('latin1') === '\x7fELF' ? 1 : 0;
      const got = card.received.find((f) => f.bdfType === boardType)!;
      expect([got.size, got.sha256]).to.deep.equal([board.length, sha256(board)]);
      expect(status).to.include({ state: 'ready', chip: c.chip, boardId: c.boardId, boardName: c.name, boardSource: 'board-2.bin' });
      if (c.chip === 'QCN9074') {
        const cal = card.received.find((f) => f.bdfType === 2)!;
        expect(cal.sha256).to.equal(sha256(c.address === OWN_CAL ? ownCal : caldata));
        expect(path.basename(status.caldataFile!)).to.equal(c.address === OWN_CAL ? `cal-pci-${OWN_CAL}.bin` : 'caldata.bin');
      }
      if (c.chip === 'WCN6855') {
        // No REGDB IE in this board-2.bin: regdb.bin.
        const regdb = await fs.readFile(path.join(real, c.chip, c.hw, 'regdb.bin'));
        expect(card.received.find((f) => f.bdfType === 4)!.sha256).to.equal(sha256(regdb));
        expect(path.basename(status.regdbFile!)).to.equal('regdb.bin');
      }
      if (c.chip === 'WCN6750') {
        // WCN6750's board-2.bin carries REGDB IEs under the board names.
        expect(status).to.include({ regdbName: c.name });
        expect(path.basename(status.regdbFile!)).to.equal('board-2.bin');
      }
    });
  }
});

/** Like entryAfterName, within the IEs of type `ie` only (REGDB names repeat the BOARD names). */
function entryAfterNameIn(file: Buffer, ie: number, name: string): Buffer {
  let off = 20;
  while (off + 8 <= file.length) {
    const id = file.readUInt32LE(off);
    const len = file.readUInt32LE(off + 4);
    const body = file.subarray(off + 8, off + 8 + len);
    if (id === ie && body.includes(Buffer.from(name, 'latin1'))) return entryAfterName(body, name);
    off += 8 + ((len + 3) & ~3);
  }
  throw new Error(`'${name}' in no IE ${ie}`);
}
