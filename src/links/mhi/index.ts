export * from './mhi-controller';
export * from './mhi-qrtr-endpoint';
export * from './simulated-mhi-controller';
export * from './mhi-backend';
