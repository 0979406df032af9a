export * from './codec';
export * from './idl';
export * from './schemas';
