export * from './errors';
export * from './protocol';
export * from './revive-error';
export * from './local-client-connection';
export * from './local-client-server';
export * from './policy';
export * from './policy-config';
