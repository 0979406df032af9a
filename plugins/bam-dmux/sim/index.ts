export * from './memory-bam-transport';
export * from './simulated-power-lines';
export * from './ip-packet-factory';
export * from './ipa-dl-framer';
export * from './modem-simulator';
export * from './create-simulated-modem';
export * from './simulated-network';
