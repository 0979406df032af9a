export * from '../../src/router';
export type QrtrdErrorLike = { code: string; name: string; message: string };
