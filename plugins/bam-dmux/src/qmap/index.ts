export * from './errors';
export * from './qmap-header';
export * from './qmap-checksum';
export * from './qmap-command';
export * from './qmap-deaggregate';
export * from './qmap-aggregator';
export * from './qmap-link';
export * from './qmap-mux';
