export * from './errors';
export * from './logger';
export * from './tokens';
export * from './stream-socket';
export * from './rpmsg';
export * from './mhi';
export * from './tun';
