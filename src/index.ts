/** The package entry (`qrtrd`): the plugin SDK contract. The test kit is `qrtrd/testing`. */
export * from './sdk';
