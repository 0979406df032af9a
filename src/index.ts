/**
 * The package entry (`require('qrtrd')`): the plugin SDK contract (plugin, contributions,
 * manifest, logger, errors, netdev types) and the client library for a running qrtrd
 * (QrtrdConnection over the local-client socket, the remote-socket peer, their typed errors).
 * The test kit is `qrtrd/testing`.
 */
export * from './sdk';
export * from './client';
// Both name a `u32`: the QMI field builder (the SDK's) is the one a plugin author means; the
// local-client frame reader stays reachable as `qrtrd/dist/src/client` internals only.
export { u32 } from './sdk';
// The DI and stream primitives a plugin's module is built with, from the copies the daemon itself
// uses: a plugin that installed its own inversify could get another major version, whose
// ContainerModule the daemon's container cannot load.
export { ContainerModule, inject, injectable } from 'inversify';
export { Subject, type Observable } from 'rxjs';
