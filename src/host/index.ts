export * from './plugin-host';
export * from './loggers';
