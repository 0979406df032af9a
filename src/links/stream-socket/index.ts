export * from './stream-socket-endpoint';
export * from './stream-socket-listener';
export * from './connect-remote-endpoint';
export * from './stream-socket-backend';
export { listenOnPath, closeServer } from './socket-path';
