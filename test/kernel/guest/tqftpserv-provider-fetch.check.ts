import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelSocketProvider } from '../../../src/kernel/kernel-socket-provider';
import { lookupServers } from '../../../src/ns';
import { QRTR_PORT_CTRL } from '../../../src/wire';
import type { QrtrSocket } from '../../../src/router';
import type { GuestCheck } from '../harness/check-api';
import { waitForLookup } from '../harness/guest-helpers';

const TFTP_SERVICE = 4096;
const FILE_NAME = 'qrtrd-fetch.bin';
/** Not a multiple of 512: the last block is short, which ends the transfer. */
const BLOCK = 512;
const FILE_LENGTH = BLOCK * 7 + 123;

export const check: GuestCheck = {
  title: 'should fetch a file from tqftpserv byte-exact through KernelSocketProvider (lookupServers, RRQ, DATA/ACK)',
  timeoutMs: 45_000,
  async run(ctx) {
    if (!existsSync('/usr/bin/tqftpserv')) ctx.skip('tqftpserv is not installed (apt-get install tqftpserv)');
    const content = randomBytes(FILE_LENGTH);
    const source = join(ctx.scratchDir, FILE_NAME);
    writeFileSync(source, content);
    let server: ChildProcess | undefined;
    let socket: QrtrSocket | undefined;
    let output = '';
    try {
      // tqftpserv serves /readwrite/<file> from /tmp/tqftpserv, read-only here: give it a private tmpfs.
      server = spawn('unshare', ['-m', 'sh', '-c', `mount -t tmpfs none /tmp && mkdir /tmp/tqftpserv && cp "$0" /tmp/tqftpserv/ && exec tqftpserv`, source], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      await waitForLookup((rows) => rows.some((r) => r.service === TFTP_SERVICE), 'tqftpserv in qrtr-lookup');

      const provider = KernelSocketProvider.open();
      const [found] = await lookupServers(provider, { service: TFTP_SERVICE }, 5000);
      assert.ok(found, 'lookupServers finds service 4096');
      ctx.log(`tqftpserv at ${found.node}:${found.port} (version ${found.version})`);
      assert.equal(found.node, provider.localNode);

      socket = await provider.openSocket();
      const next = async (what: string): Promise<{ from: { node: number; port: number }; data: Buffer }> => {
        const signal = AbortSignal.timeout(5000);
        for (;;) {
          const message = await socket!.receive({ signal }).catch((error: unknown) => {
            throw new Error(`no ${what} from tqftpserv: ${String(error)}; tqftpserv said: ${output}`);
          });
          if (message.from.port !== QRTR_PORT_CTRL) return { from: message.from, data: Buffer.from(message.data) };
        }
      };
      // With options, as modem clients ask: tqftpserv answers OACK, and sends one block per ACK (wsize 1).
      const request = Buffer.from(`\0\x01/readwrite/${FILE_NAME}\0octet\0blksize\0${BLOCK}\0wsize\x001\0`, 'latin1');
      await socket.send({ node: found.node, port: found.port }, new Uint8Array(request));
      const oack = await next('OACK');
      assert.equal(oack.data.readUInt16BE(0), 6, `TFTP OACK expected, got ${oack.data.toString('latin1')}`);
      ctx.log(`OACK from ${oack.from.node}:${oack.from.port}: ${oack.data.subarray(2).toString('latin1').replace(/\0/g, ' ')}`);
      await socket.send(oack.from, Uint8Array.of(0, 4, 0, 0));
      const received: Buffer[] = [];
      for (let block = 1; ; block++) {
        const { from, data } = await next(`DATA block ${block}`);
        assert.equal(data.readUInt16BE(0), 3, `block ${block}: TFTP DATA expected, got ${data.subarray(0, 32).toString('latin1')}`);
        assert.equal(data.readUInt16BE(2), block);
        assert.deepEqual(from, oack.from, 'every block comes from the transfer port');
        received.push(data.subarray(4));
        await socket.send(from, Uint8Array.of(0, 4, block >> 8, block & 0xff));
        if (data.length - 4 < BLOCK) break;
      }
      const fetched = Buffer.concat(received);
      assert.equal(fetched.length, FILE_LENGTH);
      assert.ok(fetched.equals(content), 'the fetched bytes equal the file');
    } finally {
      socket?.close();
      if (server && server.exitCode === null) server.kill('SIGKILL');
    }
  },
};
