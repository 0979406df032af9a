import { expect } from 'chai';
import { ATH11K_CHIPS } from '../../ath11k/src/hw-params';
import { ATH12K_CHIPS } from '../../ath12k/src/hw-params';
import { boardSearchNames, matchPciDevice, regdbSearchNames, resolveIdentity, type CardIdentity } from '../src';

const chip = (name: string) => [...ATH11K_CHIPS, ...ATH12K_CHIPS].find((c) => c.chip === name)!;
const wcnId: CardIdentity = { bus: 'pci', address: '0000:03:00.0', vendor: 0x17cb, device: 0x1103, subsystemVendor: 0x17aa, subsystemDevice: 0x9309, variant: 'LE' };

describe('board names and card identity (the kernel rules)', () => {
  it('should search a bus-and-board ath11k chip by full name with and without variant, then by chip id (ath11k_core_fetch_bdf)', () => {
    const inputs = { chip: chip('WCN6855'), identity: wcnId, chipId: 18, boardId: 255 };
    const full = 'bus=pci,vendor=17cb,device=1103,subsystem-vendor=17aa,subsystem-device=9309,qmi-chip-id=18,qmi-board-id=255';
    expect(boardSearchNames(inputs)).to.deep.equal([`${full},variant=LE`, full, 'bus=pci,qmi-chip-id=18']);
    expect(regdbSearchNames(inputs)).to.deep.equal([`${full},variant=LE`, 'bus=pci']);
  });

  it('should search ath12k WCN7850 without the chip-id name (ath12k_core_fetch_bdf) and QCN9274 by board only', () => {
    const id: CardIdentity = { ...wcnId, device: 0x1107, variant: undefined };
    expect(boardSearchNames({ chip: chip('WCN7850'), identity: id, chipId: 2, boardId: 0xff })).to.deep.equal([
      'bus=pci,vendor=17cb,device=1107,subsystem-vendor=17aa,subsystem-device=9309,qmi-chip-id=2,qmi-board-id=255',
    ]);
    expect(boardSearchNames({ chip: chip('QCN9274'), identity: undefined, chipId: 0, boardId: 2 })).to.deep.equal(['bus=pci,qmi-chip-id=0,qmi-board-id=2']);
  });

  it('should name AHB and hybrid chips bus=ahb and skip full names a card without PCI ids cannot build', () => {
    expect(boardSearchNames({ chip: chip('WCN6750'), identity: undefined, chipId: 1, boardId: 5 })).to.deep.equal(['bus=ahb,qmi-chip-id=1,qmi-board-id=5']);
    expect(boardSearchNames({ chip: chip('WCN6855'), identity: { bus: 'pci' }, chipId: 2, boardId: 1 })).to.deep.equal(['bus=pci,qmi-chip-id=2']);
  });

  it('should pick the chip from the PCI device id, decline the other family and refuse unknown devices', () => {
    expect(matchPciDevice('ath11k', ATH11K_CHIPS, { bus: 'pci', vendor: 0x17cb, device: 0x1104 })).to.deep.include({ kind: 'chip' });
    expect(matchPciDevice('ath11k', ATH11K_CHIPS, { bus: 'pci', vendor: 0x17cb, device: 0x1109 })).to.deep.equal({ kind: 'other-family', family: 'ath12k' });
    expect(matchPciDevice('ath12k', ATH12K_CHIPS, { bus: 'pci', vendor: 0x17cb, device: 0x1234 })).to.deep.equal({ kind: 'unknown', device: 0x1234 });
    expect(matchPciDevice('ath11k', ATH11K_CHIPS, { bus: 'pci' })).to.deep.equal({ kind: 'no-ids' });
  });

  it('should complete what the device reports with the first matching rule, the device winning', () => {
    const rules = [
      { node: 8, identity: { bus: 'pci', address: '0000:52:00.0', device: 0x1104 } },
      { key: 'mhi:0000:01:00.0', identity: { bus: 'pci', variant: 'V', device: 0x9999 } },
    ];
    const server = { node: 8, port: 1, instance: 7 } as never;
    expect(resolveIdentity(rules, 'socket:123', server, undefined)).to.deep.equal({ bus: 'pci', address: '0000:52:00.0', device: 0x1104 });
    expect(resolveIdentity(rules, 'mhi:0000:01:00.0', undefined, { bus: 'pci', address: '0000:01:00.0', device: 0x1104 })).to.deep.equal({
      bus: 'pci', variant: 'V', address: '0000:01:00.0', device: 0x1104,
    });
    expect(resolveIdentity(rules, 'socket:1', { node: 9 } as never, undefined)).to.equal(undefined);
  });
});
