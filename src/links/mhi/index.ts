export * from './mhi-controller';
export * from './mhi-qrtr-endpoint';
export * from './simulated-mhi-controller';
export * from './mhi-backend';
export * from './mhi-link-factory';
export * from './rx-buffer-pool';
