import { expect } from 'chai';
import fc from 'fast-check';
import { firstValueFrom } from 'rxjs';
import { Router } from '../../src/router';
import { NameService } from '../../src/ns';
import { QmiClient, QmiResultError, nas, wda, wds } from '../../src/qmi';
import { SimulatedModemDevice } from '../../plugins/bam-dmux/sim';
import { DEFAULT_SIMULATION } from '../../src/daemon/config';
import { SimulatedNetwork } from '../../plugins/bam-dmux/sim';

/** The modem's node as the daemon's default places it. */
const MODEM = DEFAULT_SIMULATION.modem!;

async function expectQmiError(promise: Promise<unknown>, error: number): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(QmiResultError);
    expect((err as QmiResultError).error).to.equal(error);
    return;
  }
  expect.fail(`expected QMI error ${error}`);
}

describe('simulated modem data services (WDA, WDS, NAS) through the router', function () {
  this.timeout(20000);
  let router: Router;
  let modem: SimulatedModemDevice;
  const clients: QmiClient[] = [];

  async function client(service: number): Promise<QmiClient> {
    const c = await QmiClient.open(router, { service, node: MODEM.node, name: `test client ${service}` });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    router = new Router({ localNode: 1 });
    new NameService(router);
    modem = await SimulatedModemDevice.start(router, { ...MODEM, trafficPps: 0 });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await modem.stop();
    router.shutdown();
  });

  it("should answer SET_DATA_FORMAT with the format its data plane runs, capped at BAM-DMUX's 2040 bytes", async () => {
    const w = await client(wda.WDA_SERVICE_ID);
    const set = await w.request(wda.wda_set_data_format_req, wda.wda_set_data_format_resp, {
      link_layer_protocol: wda.QMI_WDA_LINK_LAYER_RAW_IP,
      ul_aggregation_protocol: wda.QMI_WDA_AGGREGATION_QMAPV5,
      dl_aggregation_protocol: wda.QMI_WDA_AGGREGATION_QMAPV5,
      dl_max_datagrams: 32,
      dl_max_size: 32768,
      endpoint_info: { endpoint_type: wda.QMI_DATA_ENDPOINT_TYPE_BAM_DMUX, interface_number: 0 },
    });
    // The default modem runs QMAP without checksum headers on channel 0: that is what it answers.
    expect([set.link_layer_protocol, set.ul_aggregation_protocol, set.dl_aggregation_protocol, set.dl_max_datagrams, set.dl_max_size]).to.deep.equal([2, 5, 5, 32, 2040]);
    const got = await w.request(wda.wda_get_data_format_req, wda.wda_get_data_format_resp, {});
    expect(got.dl_max_size).to.equal(2040);
    await expectQmiError(w.request(wda.wda_set_data_format_req, wda.wda_set_data_format_resp, { link_layer_protocol: 1 }), 94);
  });

  it('should start a call for an unbound client on the first port, report its settings and status, and end it when the client goes', async () => {
    const a = await client(wds.WDS_SERVICE_ID);
    const indication = firstValueFrom(a.indications$(wds.wds_packet_service_status_ind));
    const started = await a.request(wds.wds_start_network_req, wds.wds_start_network_resp, { apn: 'internet', ip_family_preference: 4 });
    expect((await indication).connection_status.status).to.equal(wds.QMI_WDS_CONNECTION_STATUS_CONNECTED);
    const settings = await a.request(wds.wds_get_current_settings_req, wds.wds_get_current_settings_resp, { requested_settings: 0xffff });
    expect([settings.ipv4_address, settings.ipv4_gateway_address, settings.ipv4_gateway_subnet_mask, settings.primary_ipv4_dns_address, settings.mtu, settings.apn_name]).to.deep.equal([
      0x0a400002, 0x0a400001, 0xffffff00, 0x0a400001, 1500, 'internet',
    ]);
    expect(modem.status().calls.map((c) => [c.handle, c.port, c.persistent])).to.deep.equal([[started.packet_data_handle, MODEM.muxIds[0], false]]);
    const b = await client(wds.WDS_SERVICE_ID);
    // The same port already carries a call.
    await expectQmiError(b.request(wds.wds_start_network_req, wds.wds_start_network_resp, {}), 26);
    a.close();
    for (let i = 0; i < 50 && modem.status().calls.length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(modem.status().calls).to.deep.equal([], 'the call ended with its client (DEL_CLIENT)');
    const status = await b.request(wds.wds_get_packet_service_status_req, wds.wds_get_packet_service_status_resp, {});
    expect(status.connection_status).to.equal(wds.QMI_WDS_CONNECTION_STATUS_DISCONNECTED);
    await expectQmiError(b.request(wds.wds_get_current_settings_req, wds.wds_get_current_settings_resp, { requested_settings: 0xffff }), 15);
  });

  it('should keep an autoconnect call after its client goes, until STOP_NETWORK with the global handle', async () => {
    const a = await client(wds.WDS_SERVICE_ID);
    await a.request(wds.wds_bind_mux_data_port_req, wds.wds_bind_mux_data_port_resp, { mux_id: MODEM.muxIds[1] });
    await a.request(wds.wds_start_network_req, wds.wds_start_network_resp, { enable_autoconnect: 1 });
    a.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(modem.status().calls.map((c) => [c.port, c.persistent, c.address])).to.deep.equal([[MODEM.muxIds[1], true, 0x0a400102]]);
    const b = await client(wds.WDS_SERVICE_ID);
    await expectQmiError(b.request(wds.wds_stop_network_req, wds.wds_stop_network_resp, { packet_data_handle: 0x1234 }), 9);
    await b.request(wds.wds_stop_network_req, wds.wds_stop_network_resp, { packet_data_handle: wds.QMI_WDS_GLOBAL_PACKET_DATA_HANDLE, disable_autoconnect: 1 });
    expect(modem.status().calls).to.deep.equal([]);
  });

  it('should refuse binds to ports the modem lacks, raw-IP binds on a QMAP modem, and unknown IP families', async () => {
    const a = await client(wds.WDS_SERVICE_ID);
    await expectQmiError(a.request(wds.wds_bind_mux_data_port_req, wds.wds_bind_mux_data_port_resp, { mux_id: 77 }), 48);
    await expectQmiError(a.request(wds.wds_bind_data_port_req, wds.wds_bind_data_port_resp, { data_port: wds.QMI_SIO_PORT_A2_MUX_RMNET0 }), 48);
    await expectQmiError(a.request(wds.wds_set_ip_family_req, wds.wds_set_ip_family_resp, { preference: 5 }), 48);
    await expectQmiError(a.request(wds.wds_start_network_req, wds.wds_start_network_resp, { ip_family_preference: 5 }), 94);
    await a.request(wds.wds_set_ip_family_req, wds.wds_set_ip_family_resp, { preference: 4 });
    await a.request(wds.wds_set_event_report_req, wds.wds_set_event_report_resp, { data_call_status: 1 });
    await a.request(wds.wds_indication_register_req, wds.wds_indication_register_resp, { report_extended_ip_configuration_change: 1 });
  });

  it('should run an IPv6 call next to the IPv4 call on the same port, each with its own settings', async () => {
    const v4 = await client(wds.WDS_SERVICE_ID);
    const v6 = await client(wds.WDS_SERVICE_ID);
    await v4.request(wds.wds_start_network_req, wds.wds_start_network_resp, { ip_family_preference: 4 });
    await v6.request(wds.wds_set_ip_family_req, wds.wds_set_ip_family_resp, { preference: 6 });
    await v6.request(wds.wds_start_network_req, wds.wds_start_network_resp, { ip_family_preference: 6 });
    const s6 = await v6.request(wds.wds_get_current_settings_req, wds.wds_get_current_settings_resp, { requested_settings: 0xffff });
    expect(s6.ip_family).to.equal(6);
    expect(s6.ipv4_address).to.equal(undefined);
    expect(Buffer.from(s6.ipv6_address!.address).toString('hex')).to.equal('fd000a40000000000000000000000002');
    expect(s6.ipv6_address!.prefix_length).to.equal(64);
    expect(Buffer.from(s6.ipv6_gateway_address!.address).toString('hex')).to.equal('fd000a40000000000000000000000001');
    const s4 = await v4.request(wds.wds_get_current_settings_req, wds.wds_get_current_settings_resp, { requested_settings: 0xffff });
    expect([s4.ip_family, s4.ipv4_address]).to.deep.equal([4, 0x0a400002]);
    expect(modem.status().calls.map((c) => c.family)).to.deep.equal([4, 6]);
  });

  it('should switch the WDA loopback on and off with its indication, and refuse a replication factor above 1', async () => {
    const w = await client(wda.WDA_SERVICE_ID);
    const indication = firstValueFrom(w.indications$(wda.wda_loopback_configuration_ind));
    await w.request(wda.wda_loopback_configuration_req, wda.wda_loopback_configuration_resp, { loopback_state: 1 });
    expect(await indication).to.deep.equal({ loopback_state: 1, replication_factor: 1 });
    await expectQmiError(w.request(wda.wda_loopback_configuration_req, wda.wda_loopback_configuration_resp, { loopback_state: 1, replication_factor: 4 }), 94);
    await w.request(wda.wda_loopback_configuration_req, wda.wda_loopback_configuration_resp, { loopback_state: 0 });
  });

  it('should report NAS registered and packet-attached on LTE', async () => {
    const n = await client(nas.NAS_SERVICE_ID);
    const serving = await n.request(nas.nas_get_serving_system_req, nas.nas_get_serving_system_resp, {});
    expect([serving.serving_system.registration_state, serving.serving_system.ps_attach_state, [...serving.serving_system.radio_interfaces]]).to.deep.equal([1, 1, [8]]);
    await n.request(nas.nas_register_indications_req, nas.nas_register_indications_resp, { serving_system_events: 1 });
  });
});

describe('SimulatedNetwork (the packet network behind a call)', () => {
  const call = { address: 0x0a400002, gateway: 0x0a400001, prefixLength: 24 };
  const call6 = { address: Uint8Array.from([0xfd, 0, 0x0a, 0x40, ...new Array<number>(11).fill(0), 2]), gateway: Uint8Array.from([0xfd, 0, 0x0a, 0x40, ...new Array<number>(11).fill(0), 1]), prefixLength: 64 };

  it('should never throw, never write past the answer it reports, and answer only echo requests from the call', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1600 }), fc.boolean(), (bytes, asIcmp) => {
        const network = new SimulatedNetwork();
        network.startCall(0, call);
        network.startCall6(0, call6);
        const packet = Uint8Array.from(bytes);
        if (packet.length >= 40 && asIcmp && packet[0] >> 4 === 6) {
          // Plausible IPv6 from the call's address, to the gateway, ICMPv6.
          packet.set(call6.address, 8);
          packet.set(call6.gateway, 24);
          packet[6] = 58;
        } else if (packet.length >= 20 && asIcmp) {
          // Make some inputs plausible IPv4 from the call, so the answering paths run too.
          packet[0] = 0x45;
          packet.set([10, 64, 0, 2], 12);
          packet.set([10, 64, 0, 1], 16);
          packet[9] = 1;
          packet[6] = 0;
          packet[7] = 0;
        }
        const out = new Uint8Array(2048).fill(0xee);
        const n = network.answer(0, packet, 0, packet.length, out, 4);
        expect(n).to.be.within(0, packet.length);
        expect(out.subarray(0, 4).every((b) => b === 0xee)).to.equal(true);
        expect(out.subarray(4 + n).every((b) => b === 0xee)).to.equal(true);
        const s = network.stats();
        expect(s.echoed + Object.values(s.drops).reduce((a, b) => a + b, 0)).to.equal(1, 'every packet is answered or counted');
      }),
      { numRuns: 2000 },
    );
  });

  it('should drop traffic of a port without a call, and lose requests at the configured rate', () => {
    const network = new SimulatedNetwork({ loss: 0.5, seed: 7 });
    const ping = Uint8Array.from([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 64, 0, 2, 10, 64, 0, 1, 8, 0, 0xf7, 0xff, 0, 0, 0, 0]);
    expect(network.answer(3, ping, 0, ping.length, new Uint8Array(64), 0)).to.equal(0);
    network.startCall(0, call);
    let answered = 0;
    for (let i = 0; i < 1000; i++) if (network.answer(0, ping, 0, ping.length, new Uint8Array(64), 0) > 0) answered++;
    expect(answered).to.be.within(400, 600);
    expect(network.stats().drops['no-call']).to.equal(1);
    expect(network.stats().drops.loss).to.equal(1000 - answered);
  });
});
