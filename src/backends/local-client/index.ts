export * from './local-client-connection';
export * from './local-client-server';
