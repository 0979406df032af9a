import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AfQipcrtrSocket, KernelQrtrMessage } from '../../../src/kernel';
import { decodeControl, encodeControl, isLookupSentinel, QRTR_PORT_CTRL, QrtrType, splitInstanceWord } from '../../../src/wire';
import type { GuestCheck } from '../harness/check-api';
import { collect, openBound, waitForLookup } from '../harness/guest-helpers';

const TFTP_SERVICE = 4096;

function fromNameService(m: KernelQrtrMessage): boolean {
  return m.node === 1 && m.port === QRTR_PORT_CTRL;
}

export const check: GuestCheck = {
  title: 'should find the independent tqftpserv service (4096) by NEW_LOOKUP, exchange TFTP datagrams with it, and see DEL_SERVER when it exits',
  async run(ctx) {
    if (!existsSync('/usr/bin/tqftpserv') && !existsSync('/bin/tqftpserv')) ctx.skip('tqftpserv is not installed (apt-get install tqftpserv)');
    let server: ChildProcess | undefined;
    const sockets: AfQipcrtrSocket[] = [];
    try {
      server = spawn('tqftpserv', [], { stdio: ['ignore', 'pipe', 'pipe'] });
      let serverOutput = '';
      server.stdout?.on('data', (chunk: Buffer) => { serverOutput += chunk.toString(); });
      server.stderr?.on('data', (chunk: Buffer) => { serverOutput += chunk.toString(); });
      await waitForLookup((rows) => rows.some((r) => r.service === TFTP_SERVICE), 'tqftpserv in qrtr-lookup');

      const client = openBound();
      sockets.push(client);
      const listing = collect(client.messages$, 2, 5000, 'tqftpserv and the sentinel', fromNameService);
      await client.send(1, QRTR_PORT_CTRL, encodeControl({ type: QrtrType.NEW_LOOKUP, service: TFTP_SERVICE, instance: 0 }));
      const [found, sentinel] = (await listing).map((m) => decodeControl(m.data));
      ctx.log(`lookup: ${JSON.stringify(found)}`);
      assert.equal(found.type, QrtrType.NEW_SERVER);
      assert.equal(found.service, TFTP_SERVICE);
      assert.equal(splitInstanceWord(found.instance).version, 1);
      assert.equal(found.node, 1);
      assert.ok(isLookupSentinel(sentinel), 'the listing ends with the sentinel');

      // A read request for a missing file: tqftpserv answers TFTP ERROR 1 from a transfer port.
      const request = Buffer.concat([Buffer.from([0, 1]), Buffer.from('qrtrd-no-such-file\0octet\0', 'latin1')]);
      const reply = collect(client.messages$, 1, 5000, 'the TFTP reply', (m) => !fromNameService(m));
      await client.send(1, found.port, new Uint8Array(request));
      const [answer] = await reply;
      ctx.log(`reply from ${answer.node}:${answer.port}: ${Buffer.from(answer.data).toString('latin1')}`);
      assert.equal(answer.node, 1);
      assert.deepEqual([...answer.data.subarray(0, 4)], [0, 5, 0, 1], 'TFTP ERROR, code 1 (file not found)');

      const withdrawn = collect(client.messages$, 1, 5000, 'DEL_SERVER for tqftpserv', (m) => fromNameService(m) && decodeControl(m.data).type === QrtrType.DEL_SERVER);
      server.kill('SIGTERM');
      const [deleted] = await withdrawn;
      assert.deepEqual([decodeControl(deleted.data).service, decodeControl(deleted.data).port], [TFTP_SERVICE, found.port], serverOutput);
    } finally {
      if (server && server.exitCode === null) server.kill('SIGKILL');
      for (const socket of sockets) socket.close();
    }
  },
};
