export * from './rpmsg-endpoint';
export * from './rpmsg-backend';
