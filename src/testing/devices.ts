/**
 * The real components a plugin's device simulators and tests run on: the router, the name
 * service, QMI handles, memory and simulated MHI links, the plugin host. No test library here,
 * so a plugin's simulations (which the daemon runs) can import it.
 */
export { PluginHost, type PluginHostOptions, type PluginLeaks, type PluginState, type PluginStatus } from '../host';
export { recordingLogger, silentLogger } from '../host/loggers';
export type { LogRecord } from '../sdk/logger';
export { Router, createMemoryLink, MemoryEndpoint, DEFAULT_ROUTER_OPTIONS, type AttachedEndpoint, type RouterOptions } from '../router';
// Remote peers over the remote-socket protocol, for tests that bring devices in from another process.
export { StreamSocketListener, connectRemoteEndpoint } from '../links/stream-socket';
export { NameService, watchServers$, lookupServers } from '../ns';
// The name service's port, for tests that stand in for one (a mute or a late name service).
export { QRTR_PORT_CTRL } from '../wire';
export { QmiClient, QmiService } from '../qmi';
export { createSimulatedMhiCard, simulatedMhiRings, SimulatedMhiController, SIMULATED_MHI_RINGS, MHI_RX_BUFFERS, MhiRxBufferPool, type PciIds, type SimulatedMhiCard, type SimulatedMhiOptions, type SimulatedMhiRingProfile, type SimulatedMhiRings, type MhiQrtrEndpointOptions } from '../links/mhi';
// OS network interfaces (TUN) a modem simulation exposes its data plane as (qrtrd --netdev).
export { NetTunDevice, hasNetAdminCapability } from '../kernel/net-tun';
// Device-tree reading for simulated AHB devices (the reserved-memory map their link lends).
export { readDeviceTree, readDeviceTreeDir, parseFdt, reservedMemoryOf, DeviceTreeMalformedError, DeviceTreeMissingError, type DeviceTree, type DtDeviceSelector } from '../links/devicetree';
