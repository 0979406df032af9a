export * from './errors';
export * from './node-translation';
export * from './tun-bridge';
export * from './tun-device';
