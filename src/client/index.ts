// The wire codec, errors and error revival are shared with the server side, which owns them.
export * from '../services/local-client/errors';
export * from '../services/local-client/protocol';
export * from '../services/local-client/revive-error';
export * from './remote-socket';
export * from './qrtrd-connection';
