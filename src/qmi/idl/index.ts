export * from './errors';
export * from './parser';
export * from './build-schemas';
export * from './codegen';
