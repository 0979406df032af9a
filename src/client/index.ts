// The wire codec, errors and error revival are shared with the server side, which owns them.
export * from '../backends/local-client/errors';
export * from '../backends/local-client/protocol';
export * from '../backends/local-client/revive-error';
export * from './remote-socket';
export * from './qrtrd-connection';
