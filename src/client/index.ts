export * from './errors';
export * from './protocol';
export * from './revive-error';
export * from './remote-socket';
export * from './qrtrd-connection';
