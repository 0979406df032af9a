export * from './constants';
export * from './errors';
export * from './packet';
export * from './control';
export * from './framer';
