import { strict as assert } from 'node:assert';
import { QrtrAddressInUseError, QrtrNoRouteError, QrtrNoSuchPortError, QrtrSocketClosedError } from '../router/errors';
import type { QrtrMessage, QrtrSocket, QrtrSocketProvider } from '../router/socket';
import { lookupServers, watchServers$ } from '../ns/ns-client';
import type { LookupEvent } from '../ns/types';
import { QRTR_PORT_CTRL, QrtrType, encodeControl, instanceWord } from '../wire';

/**
 * The socket contract's conformance kit (after libp2p's interface-compliance-tests): one list
 * of cases every QrtrSocketProvider passes — the in-process router, the local-client
 * connection, a router behind the remote-socket link, and the kernel's AF_QIPCRTR (run in the
 * QEMU guest). The cases use node:assert only, so the guest runs them as they are; mocha
 * suites come from {@link describeSocketConformance}.
 */
export interface SocketConformanceFixture {
  readonly provider: QrtrSocketProvider;
  /** A fixed port the provider lets this process bind (ports >= 0x4000 need no privilege). */
  readonly fixedPort: number;
}

export interface SocketConformanceCase {
  readonly title: string;
  run(fixture: SocketConformanceFixture): Promise<void>;
}

const EPHEMERAL_MIN = 0x4000;
const EPHEMERAL_MAX = 0x7fff;
/** A service id no real component registers (the private range of the test kit). */
const TEST_SERVICE = 0x4a4b;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function withSockets(provider: QrtrSocketProvider, count: number, body: (sockets: QrtrSocket[]) => Promise<void>): Promise<void> {
  const sockets: QrtrSocket[] = [];
  try {
    for (let i = 0; i < count; i++) sockets.push(await provider.openSocket());
    await body(sockets);
  } finally {
    for (const s of sockets) s.close();
  }
}

function text(m: QrtrMessage): string {
  return Buffer.from(m.data).toString();
}

function publish(socket: QrtrSocket, instance: number): Promise<void> {
  const control = encodeControl({ type: QrtrType.NEW_SERVER, service: TEST_SERVICE, instance: instanceWord(1, instance), node: socket.address.node, port: socket.address.port });
  return socket.send({ node: socket.address.node, port: QRTR_PORT_CTRL }, control);
}

async function expectError(attempt: () => unknown, cls: abstract new (...args: never[]) => Error, code: string, what: string): Promise<void> {
  let error: unknown;
  try {
    await attempt();
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof cls, `${what}: expected ${cls.name}, got ${String((error as Error)?.name ?? error)}`);
  assert.equal((error as { code?: string }).code, code, `${what}: error code`);
}

export const SOCKET_CONFORMANCE_CASES: readonly SocketConformanceCase[] = [
  {
    title: 'should bind each socket on the local node, on its own ephemeral port',
    async run({ provider }) {
      await withSockets(provider, 3, async (sockets) => {
        const ports = sockets.map((s) => s.address.port);
        for (const s of sockets) assert.equal(s.address.node, provider.localNode, 'bound on the local node');
        for (const p of ports) assert.ok(p >= EPHEMERAL_MIN && p <= EPHEMERAL_MAX, `port 0x${p.toString(16)} is ephemeral`);
        assert.equal(new Set(ports).size, 3, 'distinct ports');
        for (const s of sockets) assert.equal(s.endpointBinding, 0, 'no endpoint binding at first');
      });
    },
  },
  {
    title: 'should bind a requested port, and refuse a second socket on it with QrtrAddressInUseError (QRTR_ADDRESS_IN_USE)',
    async run({ provider, fixedPort }) {
      const first = await provider.openSocket({ port: fixedPort });
      try {
        assert.equal(first.address.port, fixedPort);
        await expectError(() => provider.openSocket({ port: fixedPort }), QrtrAddressInUseError, 'QRTR_ADDRESS_IN_USE', 'second bind');
      } finally {
        first.close();
      }
      // Close frees the port once it has taken effect (the kernel's fd closes after in-flight sends, a turn later).
      const deadline = Date.now() + 1000;
      for (;;) {
        await new Promise((r) => setImmediate(r));
        try {
          (await provider.openSocket({ port: fixedPort })).close();
          break;
        } catch (err) {
          if (!(err instanceof QrtrAddressInUseError) || Date.now() > deadline) throw err;
        }
      }
    },
  },
  {
    title: 'should deliver datagrams whole, with their source address, in order, to receive() and messages$ alike',
    async run({ provider }) {
      await withSockets(provider, 2, async ([a, b]) => {
        await a.send(b.address, Buffer.from('one'));
        const first = await withTimeout(b.receive(), 5000, 'receive()');
        assert.deepEqual({ ...first.from }, { node: a.address.node, port: a.address.port });
        assert.equal(text(first), 'one');
        const seen: string[] = [];
        const done = new Promise<void>((resolve) => {
          const sub = b.messages$.subscribe((m) => {
            seen.push(text(m));
            if (seen.length === 3) {
              queueMicrotask(() => sub.unsubscribe());
              resolve();
            }
          });
        });
        for (const t of ['two', 'three', 'four']) await a.send(b.address, Buffer.from(t));
        await withTimeout(done, 5000, 'messages$');
        assert.deepEqual(seen, ['two', 'three', 'four']);
      });
    },
  },
  {
    title: 'should keep datagrams that arrive while nobody reads, then hand them over in order',
    async run({ provider }) {
      await withSockets(provider, 2, async ([a, b]) => {
        for (let i = 0; i < 5; i++) await a.send(b.address, Buffer.from(`queued ${i}`));
        await new Promise((r) => setTimeout(r, 50));
        const got: string[] = [];
        for (let i = 0; i < 5; i++) got.push(text(await withTimeout(b.receive(), 5000, `queued ${i}`)));
        assert.deepEqual(got, [...Array(5).keys()].map((i) => `queued ${i}`));
      });
    },
  },
  {
    title: 'should carry a burst of 100 datagrams complete and in order while the receiver reads (flow control, no loss)',
    async run({ provider }) {
      await withSockets(provider, 2, async ([a, b]) => {
        const got: string[] = [];
        const done = new Promise<void>((resolve) => {
          const sub = b.messages$.subscribe((m) => {
            got.push(text(m));
            if (got.length === 100) {
              queueMicrotask(() => sub.unsubscribe());
              resolve();
            }
          });
        });
        await Promise.all([...Array(100).keys()].map((i) => a.send(b.address, Buffer.from(`burst ${i}`))));
        await withTimeout(done, 10000, 'the burst');
        assert.deepEqual(got, [...Array(100).keys()].map((i) => `burst ${i}`));
      });
    },
  },
  {
    title: 'should find servers by lookup over the socket contract: snapshot, then add and remove',
    async run({ provider }) {
      await withSockets(provider, 2, async ([server, second]) => {
        await publish(server, 1);
        const deadline = Date.now() + 5000;
        let listed = await lookupServers(provider, { service: TEST_SERVICE });
        while (listed.length === 0 && Date.now() < deadline) listed = await lookupServers(provider, { service: TEST_SERVICE });
        assert.deepEqual(
          listed.map((s) => [s.node, s.port, s.version, s.instance]),
          [[server.address.node, server.address.port, 1, 1]],
        );
        const events: LookupEvent[] = [];
        const sub = watchServers$(provider, { service: TEST_SERVICE }).subscribe((e) => events.push(e));
        try {
          const until = async (ok: () => boolean, what: string): Promise<void> => {
            const end = Date.now() + 5000;
            while (!ok()) {
              if (Date.now() > end) throw new Error(`${what}: not seen (${JSON.stringify(events)})`);
              await new Promise((r) => setTimeout(r, 10));
            }
          };
          await until(() => events.some((e) => e.type === 'snapshot'), 'the snapshot');
          await publish(second, 2);
          await until(() => events.some((e) => e.type === 'add' && e.server.port === second.address.port), 'the added server');
          second.close();
          await until(() => events.some((e) => e.type === 'remove' && e.server.port === second.address.port), 'the removed server');
        } finally {
          sub.unsubscribe();
        }
      });
    },
  },
  {
    title: 'should refuse a send to a local port nobody bound (QrtrNoSuchPortError, QRTR_NO_SUCH_PORT) and to a node nobody announced (QrtrNoRouteError, QRTR_NO_ROUTE)',
    async run({ provider }) {
      await withSockets(provider, 2, async ([a, gone]) => {
        const port = gone.address.port;
        gone.close();
        await new Promise((r) => setImmediate(r));
        await expectError(() => a.send({ node: provider.localNode, port }, Buffer.from('x')), QrtrNoSuchPortError, 'QRTR_NO_SUCH_PORT', 'send to a closed local port');
        await expectError(() => a.send({ node: 0x7777, port: 1 }, Buffer.from('x')), QrtrNoRouteError, 'QRTR_NO_ROUTE', 'send to an unknown node');
        // The socket is still usable after refused sends.
        const b = await provider.openSocket();
        try {
          await a.send(b.address, Buffer.from('still here'));
          assert.equal(text(await withTimeout(b.receive(), 5000, 'after the refusals')), 'still here');
        } finally {
          b.close();
        }
      });
    },
  },
  {
    title: 'should close idempotently: messages$ completes, a waiting receive() and later sends fail with QrtrSocketClosedError (QRTR_SOCKET_CLOSED)',
    async run({ provider }) {
      await withSockets(provider, 1, async ([peer]) => {
        const socket = await provider.openSocket();
        let completed = false;
        socket.messages$.subscribe({ complete: () => (completed = true), error: () => undefined });
        const pending = socket.receive();
        pending.catch(() => undefined);
        socket.close();
        socket.close();
        assert.equal(socket.closed, true);
        assert.equal(completed, true, 'messages$ completed');
        await expectError(() => pending, QrtrSocketClosedError, 'QRTR_SOCKET_CLOSED', 'receive() waiting at close');
        await expectError(() => socket.send(peer.address, Buffer.from('late')), QrtrSocketClosedError, 'QRTR_SOCKET_CLOSED', 'send after close');
        await expectError(() => socket.receive(), QrtrSocketClosedError, 'QRTR_SOCKET_CLOSED', 'receive after close');
        await expectError(() => socket.bindEndpoint(0), QrtrSocketClosedError, 'QRTR_SOCKET_CLOSED', 'bindEndpoint after close');
      });
    },
  },
];

/** What a provider's suite needs: a fresh fixture per case, torn down after it. */
export interface SocketConformanceSetup {
  create(): Promise<SocketConformanceFixture>;
  teardown(): Promise<void>;
}

/** Registers the mocha suite of every case for one provider. */
export function describeSocketConformance(name: string, setup: SocketConformanceSetup): void {
  describe(`${name}: socket contract conformance`, function () {
    this.timeout(20_000);
    let fixture: SocketConformanceFixture;
    beforeEach(async () => {
      fixture = await setup.create();
    });
    afterEach(() => setup.teardown());
    for (const c of SOCKET_CONFORMANCE_CASES) it(c.title, () => c.run(fixture));
  });
}
