export * from './errors';
export * from './bam-dmux-header';
export * from './bam-transport';
export * from './power-control';
export * from './bam-dmux-channel';
export * from './bam-dmux-tx-ring';
export * from './bam-dmux';
export * from './netdev-bridge';
