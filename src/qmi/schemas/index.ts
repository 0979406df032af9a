/** Schemas generated from the .qmi files in this directory (regenerate with codegen-cli). */
export * as wlfw from './generated/wlfw';
export * as rmtfs from './generated/rmtfs';
export * as qmiTest from './generated/test';
export * as dms from './generated/dms';
export * as wds from './generated/wds';
export * as wda from './generated/wda';
export * as nas from './generated/nas';
