/**
 * The plugin test kit (`qrtrd/testing`): the compliance suites every plugin runs, and the
 * real components a plugin's tests and device simulators run on (the router, the name
 * service, QMI handles, memory and simulated MHI links, the plugin host). This is the only
 * shipped module that imports chai; production code never imports it.
 */
export * from './compliance';
export { PluginHost, type PluginHostOptions, type PluginLeaks, type PluginState, type PluginStatus } from '../host';
export { recordingLogger, silentLogger, type LogRecord } from '../sdk/logger';
export { Router, createMemoryLink, MemoryEndpoint, type AttachedEndpoint, type RouterOptions } from '../router';
export { NameService, watchServers$, lookupServers } from '../ns';
export { QmiClient, QmiService } from '../qmi';
export { createSimulatedMhiCard, SimulatedMhiController, type SimulatedMhiCard } from '../links/mhi';
