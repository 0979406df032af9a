/**
 * BAM-DMUX data plane, QMAP (rmnet) mux and the modem simulator.
 * QMAP alone: `plugins/bam-dmux/src/qmap`. Simulator: `plugins/bam-dmux/sim`.
 */
export * from './src';
export * as qmap from './src/qmap';
export * as sim from './sim';
export { plugin, BamDmuxLifecycle, BAM_DMUX_LIFECYCLE, type BamDmuxModemConfig, type BamDmuxModemStatus } from './plugin';
