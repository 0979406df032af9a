/**
 * The plugin test kit (`qrtrd/testing`): the compliance suites every plugin runs, and the
 * real components a plugin's tests and device simulators run on (./devices). This is the
 * only shipped module that imports chai; production code never imports it.
 */
export * from './compliance';
export * from './devices';
export * from './socket-conformance';
