import { expect } from 'chai';
import { DEFAULT_NS_LIMITS, PerNodeAdmissionPolicy, ServerRegistry, type ServerInfo } from '../../src/ns';

const at = (endpoint: number, port: number, over: Partial<ServerInfo> = {}): ServerInfo => ({ service: 69, version: 1, instance: 7, node: 5, port, endpoint, ...over });
const ports = (list: ServerInfo[]) => list.map((s) => `${s.endpoint}/${s.port}`);

/**
 * Exact lookups on a key that several servers share (the same service on several cards):
 * the plain lookup returns them without reading them (ServerRegistry.findExact), the
 * filtered one reads each; both must give the registration order and only true matches.
 */
describe('NS exact lookups on a shared key', () => {
  it('should return every server of the key in registration order, across removal and re-registration', () => {
    const registry = new ServerRegistry(new PerNodeAdmissionPolicy(DEFAULT_NS_LIMITS));
    for (const endpoint of [2, 3, 4, 5]) registry.add(at(endpoint, 10));
    registry.add(at(2, 11, { instance: 8 })); // another key of the same service
    const exact = { service: 69, version: 1, instance: 7 };
    expect(ports(registry.find(exact))).to.deep.equal(['2/10', '3/10', '4/10', '5/10']);
    registry.remove(3, 5, 10);
    expect(ports(registry.find(exact))).to.deep.equal(['2/10', '4/10', '5/10']);
    registry.add(at(3, 10)); // back, now the newest
    expect(ports(registry.find(exact))).to.deep.equal(['2/10', '4/10', '5/10', '3/10']);
    registry.remove(2, 5, 10); // the first goes: the second becomes first
    expect(ports(registry.find(exact))).to.deep.equal(['4/10', '5/10', '3/10']);
    // Replacing a port re-registers it: it moves to the end, as a new registration.
    registry.add(at(4, 10));
    expect(ports(registry.find(exact))).to.deep.equal(['5/10', '3/10', '4/10']);
    expect(ports(registry.find({ ...exact, instance: 8 }))).to.deep.equal(['2/11']);
  });

  it('should narrow a shared key by endpoint and node, keeping the order', () => {
    const registry = new ServerRegistry(new PerNodeAdmissionPolicy(DEFAULT_NS_LIMITS));
    registry.add(at(2, 10));
    registry.add(at(3, 10, { node: 6 }));
    registry.add(at(2, 12));
    registry.add(at(3, 11));
    const exact = { service: 69, version: 1, instance: 7 };
    expect(ports(registry.find({ ...exact, endpoint: 2 }))).to.deep.equal(['2/10', '2/12']);
    expect(ports(registry.find({ ...exact, endpoint: 3 }))).to.deep.equal(['3/10', '3/11']);
    expect(ports(registry.find({ ...exact, node: 5 }))).to.deep.equal(['2/10', '2/12', '3/11']);
    expect(ports(registry.find({ ...exact, endpoint: 3, node: 6 }))).to.deep.equal(['3/10']);
    expect(ports(registry.find(exact))).to.deep.equal(['2/10', '3/10', '2/12', '3/11']);
  });

  it('should not return a server whose triple only shares the key while such a server is registered', () => {
    const registry = new ServerRegistry(new PerNodeAdmissionPolicy(DEFAULT_NS_LIMITS));
    // Version 0x101 spills into the instance bits: version 0x101, instance 1 has the key
    // word 0x101 | 1 << 8 = 0x101, that of version 1, instance 1.
    registry.add(at(2, 10, { version: 1, instance: 1 }));
    registry.add(at(3, 10, { version: 0x101, instance: 1 }));
    expect(ports(registry.find({ service: 69, version: 1, instance: 1 }))).to.deep.equal(['2/10']);
    expect(ports(registry.find({ service: 69, version: 0x101, instance: 1 }))).to.deep.equal(['3/10']);
    registry.remove(3, 5, 10);
    expect(ports(registry.find({ service: 69, version: 1, instance: 1 }))).to.deep.equal(['2/10']);
    expect(registry.find({ service: 69, version: 0x101, instance: 1 })).to.deep.equal([]);
  });
});
