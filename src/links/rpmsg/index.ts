export * from './rpmsg-endpoint';
export * from './rpmsg-backend';
export * from './rpmsg-link-factory';
export * from './rpmsg-ctrl';
