/**
 * The plugin SDK: the contract plugins are written against, and the package entry
 * (`qrtrd`). It holds interfaces, typed DI tokens, value types and error classes only:
 * the plugin manifest and lifecycle, the context the host hands a plugin, the
 * contribution points (status sections, live-view panes, config sections,
 * simulations), and the QMI schema vocabulary a plugin describes its messages with.
 * Implementations live elsewhere: the host in src/host, the test kit and what
 * simulators run on in src/testing (`qrtrd/testing`).
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
export * from './contributions';
export * from './netdev';
export * from './config-schema';

export { QrtrdError, InvalidArgumentError, hex } from '../common/errors';
// Value types of the lower layers a plugin sees through its context.
export { formatBackendKey, parseBackendKey, sameBackendKey, NO_ENDPOINT_ID } from '../router';
// The device's memory and reset, lent by the link that owns it.
export { DeviceControlError, DeviceDmaAllocationError, DeviceMemoryRangeError, DeviceResetUnsupportedError, DeviceMemoryUnavailableError } from '../router';
export type { DeviceControl, DeviceControlSummary, DeviceDmaBuffer, DeviceMemoryProvider, DeviceReservedMemory, ReservedMemoryRegion } from '../router';
export type { BackendDevice, BackendKey, Endpoint, EndpointEvent, EndpointInfo, EndpointReservation, ReserveOptions, ReservationFreed, ReservationLossReason, QrtrSocketProvider, QrtrSocket, QrtrMessage } from '../router';
export type { LookupEvent, LookupFilter, ServerInfo } from '../ns';
// Typed failures a plugin catches.
export { QmiResultError, QmiTimeoutError, QmiServiceLostError, QmiHandleClosedError, QmiAbortedError } from '../qmi';
// The QMI schema vocabulary (descriptors are values; the codec compiles them).
export { qmiCodec, qmiRequest, qmiResponse, qmiIndication, qmiResultField, req, opt, u8, u16, u32, u64, qmiErrorName, wlfw, dms, nas, wda, wds } from '../qmi';
export type { QmiClient, QmiService, QmiClientOptions, QmiServiceOptions, QmiPeer, QmiRequestContext, QmiMessageSchema, QmiValue } from '../qmi';
// The rest of the field types, so a plugin can describe any message (strings, byte blobs, arrays,
// structs), and the generated schemas of the QMI test service (kernel samples/qmi).
export { str, bytes, fixedBytes, fixedArray, varArray, struct, i8, i16, i32, i64, enum16, enum32, qmiTest } from '../qmi';
export type { QmiServiceStats } from '../qmi';
