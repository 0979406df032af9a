import { expect } from 'chai';
import pino from 'pino';
import { DEFAULT_CONFIG, type QrtrdConfig } from '../../src/daemon/config';
import { QrtrdDaemon } from '../../src/daemon/daemon';
import { formatStatusScreen } from '../../src/daemon/console-view';
import { QmiClient, dms } from '../../src/qmi';
import { lookupServers } from '../../src/ns';
import type { WlfwCardStatus } from '../../plugins/wlfw/src';
import type { SimulatedModemStatus } from '../../plugins/bam-dmux/sim';

/** The rows' data of one contributed section. */
function sectionData<T>(daemon: QrtrdDaemon, id: string): T[] {
  return (daemon.section(id)?.rows ?? []).map((r) => r.data as T);
}

const quiet = pino({ level: 'silent' });

describe('QrtrdDaemon (in process)', function () {
  this.timeout(30000);
  let daemon: QrtrdDaemon | undefined;

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it('should bring up the embedded default: four cards on distinct endpoints at the same node, and the modem', async () => {
    daemon = new QrtrdDaemon({ ...DEFAULT_CONFIG, console: false }, quiet);
    await daemon.start();
    await daemon.whenReady(20000);
    const cards = sectionData<WlfwCardStatus>(daemon, 'cards');
    expect(cards.map((c) => [c.key, c.chip, c.state, c.node])).to.deep.equal([
      ['mhi:0000:01:00.0', 'QCN9074', 'ready', 7],
      ['mhi:0000:02:00.0', 'QCN9074', 'ready', 7],
      ['mhi:0000:03:00.0', 'WCN6855', 'ready', 7],
      ['mhi:0000:04:00.0', 'WCN7850', 'ready', 7],
    ]);
    expect(new Set(cards.map((c) => c.endpoint)).size).to.equal(4);
    const status = daemon.status();
    const [modem] = sectionData<SimulatedModemStatus>(daemon, 'modem');
    expect(modem?.key).to.equal('rpmsg:IPCRTR-modem');
    expect(modem?.stats.dmux.endpointId).to.equal(modem?.endpoint, 'the data plane is bound to the modem endpoint');
    const screen = formatStatusScreen(status);
    expect(screen.split('\n')[0]).to.equal('qrtrd router: node 1');
    for (const header of ['Cards:', 'Endpoints:', 'Modem data plane (BAM-DMUX + QMAP):']) expect(screen).to.contain(header);
    for (const card of cards) expect(screen).to.contain(card.key);
  });

  it("should serve the modem's DMS through the router, bound to the modem's endpoint", async () => {
    daemon = new QrtrdDaemon({ ...DEFAULT_CONFIG, console: false, simulation: { ...DEFAULT_CONFIG.simulation, cards: [] }, plugins: ['plugins/bam-dmux'] }, quiet);
    await daemon.start();
    const modemEndpoint = sectionData<SimulatedModemStatus>(daemon, 'modem')[0].endpoint;
    const servers = await lookupServers(daemon.router, { service: dms.DMS_SERVICE_ID });
    expect(servers.map((s) => [s.endpoint, s.node])).to.deep.equal([[modemEndpoint, 0]]);
    const client = await QmiClient.open(daemon.router, { service: dms.DMS_SERVICE_ID, endpoint: modemEndpoint });
    const model = await client.request(dms.dms_get_model_req, dms.dms_get_model_resp, {});
    expect(model.model).to.equal('QRTRD-SIM-X55');
    client.close();
  });

  it("should check every plugin's config section with the plugin's own rules before anything attaches", async () => {
    for (const [pluginConfig, key] of [
      [{ 'bam-dmux': { modems: 'all' } }, 'modems'],
      [{ ath11k: { requestTimeoutMs: -1 } }, 'requestTimeoutMs'],
      [{ ath12k: { requestTimeotMs: 5 } }, 'requestTimeotMs'],
    ] as const) {
      daemon = new QrtrdDaemon({ ...DEFAULT_CONFIG, console: false, pluginConfig }, quiet);
      const err = await daemon.start().then(() => undefined, (e: { code: string; details: { key: string } }) => e);
      expect(err, JSON.stringify(pluginConfig)).to.include({ code: 'PLUGIN_CONFIG_INVALID' });
      expect(err?.details.key).to.equal(key);
      expect(daemon.router.endpoints(), 'nothing attached').to.deep.equal([]);
      await daemon.stop();
    }
    daemon = undefined;
  });

  it('should stop cleanly: plugins stopped, every endpoint detached, the name service empty', async () => {
    const config: QrtrdConfig = { ...DEFAULT_CONFIG, console: false };
    daemon = new QrtrdDaemon(config, quiet);
    await daemon.start();
    await daemon.whenReady(20000);
    await daemon.stop();
    expect(daemon.router.endpoints()).to.deep.equal([]);
    expect(daemon.router.portCount).to.equal(0);
    expect(daemon.status().plugins.every((p) => p.state !== 'started')).to.equal(true);
    daemon = undefined;
  });
});
