export * from './errors';
export * from './tree';
export * from './fdt';
export * from './fs-tree';
export * from './reserved-memory';
