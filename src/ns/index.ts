export * from './errors';
export * from './types';
export * from './server-registry';
export * from './admission-policy';
export * from './name-service';
export * from './module';
export * from './ns-client';
export * from './service-names';
