import 'reflect-metadata';
import { join } from 'node:path';
import { connectQrtrd, type QrtrdConnection } from '../../src/client';
import { StreamSocketListener, connectRemoteEndpoint } from '../../src/links/stream-socket';
import { NameService } from '../../src/ns';
import { Router, type AttachedEndpoint } from '../../src/router';
import { LocalClientServer } from '../../src/services/local-client';
import { describeSocketConformance } from '../../src/testing';
import { tempDir } from '../links/helpers';

// The same suite on every provider of the socket contract. The kernel's AF_QIPCRTR runs it in
// the QEMU guest (test/kernel/guest/socket-conformance.check.ts).
const FIXED_PORT = 0x5a5a;

describe('socket providers', () => {
  let teardown: () => Promise<void> = async () => undefined;
  const done = async (): Promise<void> => {
    await teardown();
    teardown = async () => undefined;
  };

  describeSocketConformance('in-process router (RouterSocket)', {
    async create() {
      const router = new Router();
      new NameService(router);
      teardown = async () => router.shutdown();
      return { provider: router, fixedPort: FIXED_PORT };
    },
    teardown: done,
  });

  describeSocketConformance('local client (QrtrdConnection over the local-client protocol)', {
    async create() {
      const tmp = tempDir('conformance');
      const router = new Router();
      const ns = new NameService(router);
      const server = new LocalClientServer(router, ns, { path: join(tmp.dir, 'qrtrd.sock') });
      await server.listen();
      const connection: QrtrdConnection = await connectQrtrd(join(tmp.dir, 'qrtrd.sock'));
      teardown = async () => {
        connection.close();
        await server.close();
        router.shutdown();
        tmp.remove();
      };
      return { provider: connection, fixedPort: FIXED_PORT };
    },
    teardown: done,
  });

  describeSocketConformance('router behind the remote-socket link (a second router attached to qrtrd over a stream socket)', {
    async create() {
      const tmp = tempDir('conformance');
      const host = new Router();
      new NameService(host);
      const listener = new StreamSocketListener(host, { path: join(tmp.dir, 'remote.sock') });
      await listener.listen();
      const remote = new Router({ localNode: 7 });
      new NameService(remote);
      let attached: AttachedEndpoint | undefined;
      const link = await connectRemoteEndpoint(join(tmp.dir, 'remote.sock'));
      attached = remote.attach(link);
      teardown = async () => {
        attached?.detach();
        await listener.close();
        remote.shutdown();
        host.shutdown();
        tmp.remove();
      };
      return { provider: remote, fixedPort: FIXED_PORT };
    },
    teardown: done,
  });
});
