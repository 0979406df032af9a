export * from './plugin-host';
