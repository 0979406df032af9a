export * from './codec';
export * from './idl';
export * from './schemas';
export * from './handle-errors';
export * from './client';
export * from './service';
