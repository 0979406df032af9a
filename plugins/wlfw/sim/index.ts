export * from './sim-files';
export * from './sim-profile';
export * from './wlfw-firmware';
export * from './simulated-card';
export * from './factory';
export * from './wlfw-simulation';
export * from './board-container-writer';
