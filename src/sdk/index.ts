/**
 * The plugin SDK: the only module plugins import. It holds the plugin contracts
 * (manifest, lifecycle, context), the host that loads plugins from configuration,
 * typed plugin errors, the compliance kit, and re-exports of the router, name
 * service and QMI pieces a plugin (or its simulator) needs.
 *
 * @example
 * export const plugin: Plugin = {
 *   manifest: { name: 'demo', version: '1.0.0', qmiServices: [{ service: 15, role: 'client' }], backendKeys: ['mhi:*'] },
 *   module: new ContainerModule((bind) => bind(PLUGIN_LIFECYCLE).to(DemoLifecycle)),
 * };
 */
export * from './errors';
export * from './logger';
export * from './plugin';
export * from './manifest';
export * from './plugin-host';

// What plugins and their simulators use from the lower layers.
export { QrtrdError, InvalidArgumentError, hex } from '../common/errors';
export { Router, type EndpointEvent, type EndpointInfo, type AttachedEndpoint, type RouterOptions } from '../router';
export { createMemoryLink, MemoryEndpoint, formatBackendKey, parseBackendKey, sameBackendKey, type BackendDevice, type BackendKey, type Endpoint } from '../router';
export { NO_ENDPOINT_ID, QRTR_SOCKET_PROVIDER, BACKEND_CONTRIBUTION, type QrtrSocketProvider, type QrtrSocket, type QrtrMessage, type EndpointReservation } from '../router';
export { NameService, watchServers$, lookupServers, type LookupEvent, type LookupFilter, type ServerInfo } from '../ns';
// Transport simulation for device simulators: cards attach through the same MHI contract as hardware.
export { createSimulatedMhiCard, SimulatedMhiController, type PciIds, type SimulatedMhiCard, type SimulatedMhiOptions } from '../backends/mhi';
export { connectRemoteEndpoint } from '../backends/stream-socket';
export {
  QmiClient,
  QmiService,
  QmiHandles,
  QmiResultError,
  QmiTimeoutError,
  QmiServiceLostError,
  QmiHandleClosedError,
  QmiAbortedError,
  qmiCodec,
  qmiRequest,
  qmiResponse,
  qmiIndication,
  qmiResultField,
  req,
  opt,
  u8,
  u16,
  u32,
  u64,
  qmiErrorName,
  wlfw,
  type QmiClientOptions,
  type QmiServiceOptions,
  type QmiPeer,
  type QmiRequestContext,
  type QmiMessageSchema,
  type QmiValue,
} from '../qmi';
