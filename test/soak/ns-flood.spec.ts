import { expect } from 'chai';
import { lookupServers } from '../../src/ns';
import { DEFAULT_NS_LIMITS } from '../../src/ns/types';
import { QRTR_PORT_CTRL, QrtrType, encodeControl, instanceWord } from '../../src/wire';
import { SocketPeer } from '../helpers/socket-peer';
import { DaemonUnderTest, describeSoak, report, scale, until } from './soak-harness';

const { serversPerNode, serversPerEndpoint, lookupsPerPort } = DEFAULT_NS_LIMITS;

describeSoak('soak: name-service floods from one peer', { short: 60_000, long: 600_000 }, (daemonOf) => {
  let daemon: DaemonUnderTest;
  beforeEach(() => {
    daemon = daemonOf();
  });

  it('should refuse past the per-node, per-endpoint and per-port limits with typed errors, log each once per interval, and leave other peers served', async () => {
    const storm = scale(5000, 50_000);
    // An honest peer and a local client exchanging datagrams throughout.
    const honest = await SocketPeer.connect(daemon.listenPath, 30);
    honest.keepReceived = false;
    honest.autoResume = true;
    honest.hello();
    honest.announce(4242, 1, 1, 5);
    const local = await daemon.conn.openSocket();
    let delivered = 0;
    local.messages$.subscribe(() => delivered++);

    const flooder = await SocketPeer.connect(daemon.listenPath, 20);
    flooder.keepReceived = false;
    flooder.hello();
    const started = Date.now();
    // NEW_SERVER storm on one node: past serversPerNode.
    for (let port = 1; port <= storm; port++) {
      flooder.announce(0x1000 + (port % 64), 1, 0, port);
      if (port % 100 === 0) honest.data(5, local.address.port, new Uint8Array(8));
    }
    // The same peer spreading over more nodes: past serversPerEndpoint.
    const extraNodes = Math.ceil(serversPerEndpoint / serversPerNode) + 1;
    for (let n = 0; n < extraNodes; n++) {
      for (let port = 1; port <= serversPerNode; port++) {
        flooder.control({ type: QrtrType.NEW_SERVER, service: 0x2000, instance: instanceWord(1, n), node: 21 + n, port });
      }
    }
    // DEL_SERVER storm for servers it never registered.
    for (let port = 1; port <= storm; port++) {
      flooder.control({ type: QrtrType.DEL_SERVER, service: 0x3000, instance: 1, node: 20, port: 100_000 + port });
      if (port % 100 === 0) honest.data(5, local.address.port, new Uint8Array(8));
    }
    // A local client's NEW_LOOKUP storm on one socket: past lookupsPerPort.
    const looker = await daemon.conn.openSocket();
    const lookups = Math.min(storm, 2000);
    // Each refusal reaches the client as the name service's error (issue #18 item 6), never RESULT.
    const lookupRefusals = new Map<string, number>();
    for (let i = 0; i < lookups; i++) {
      await looker
        .send({ node: 1, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_LOOKUP, service: 0x4000 + i, instance: 0 }))
        .catch((err: { code?: string }) => lookupRefusals.set(String(err.code), (lookupRefusals.get(String(err.code)) ?? 0) + 1));
    }
    expect([...lookupRefusals]).to.deep.equal([['NS_PORT_LOOKUP_LIMIT', lookups - lookupsPerPort]]);
    const honestSent = Math.floor(storm / 100) * 2;
    await until('the honest datagrams', () => delivered === honestSent, 30_000);
    const ms = Date.now() - started;
    const status = await daemon.status();

    // The honest peer's server is found; the flooder holds exactly its shares.
    const found = await lookupServers(daemon.conn, { service: 4242 });
    expect(found.map((s) => s.node)).to.deep.equal([30]);
    const flooderServers = (await lookupServers(daemon.conn, { service: 0 })).filter((s) => s.node !== 30);
    expect(flooderServers, 'servers the flooder holds').to.have.length(serversPerEndpoint);
    const expectedRefusals = storm - serversPerNode + (extraNodes * serversPerNode - (serversPerEndpoint - serversPerNode)) + storm + (lookups - lookupsPerPort);
    expect(status.nameService.rejected, 'refused commands').to.equal(expectedRefusals);

    await daemon.terminate(); // writes the pending summaries
    const nsLines = daemon.logLines().filter((l) => l.component === 'ns');
    const byCode = new Map<string, { lines: number; counted: number }>();
    for (const l of nsLines) {
      const entry = byCode.get(String(l.code)) ?? { lines: 0, counted: 0 };
      entry.lines++;
      entry.counted += Number(l.count ?? 1);
      byCode.set(String(l.code), entry);
    }
    report('ns-flood', {
      storm,
      ms,
      refused: status.nameService.rejected,
      logLines: nsLines.length,
      byCode: Object.fromEntries(byCode),
      honestDelivered: `${delivered}/${honestSent}`,
      flooderServers: flooderServers.length,
    });
    // Each (peer, node, command, code) is one line, plus one summary per interval with the count.
    expect(byCode.get('NS_SERVER_LIMIT')!.counted).to.equal(storm - serversPerNode);
    expect(byCode.get('NS_NO_SUCH_SERVER')!.counted).to.equal(storm);
    expect(byCode.get('NS_PORT_LOOKUP_LIMIT')!.counted).to.equal(lookups - lookupsPerPort);
    expect(byCode.get('NS_ENDPOINT_SERVER_LIMIT')!.counted).to.be.greaterThan(0);
    const lineBudget = 2 * (extraNodes + 4) * Math.max(1, Math.ceil(ms / 10_000));
    expect(nsLines.length, 'NS log lines for the whole flood').to.be.at.most(lineBudget);
  });
});
