import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectQrtrd, type QrtrdConnection } from '../../src/client';
import { QRTR_PORT_CTRL, QrtrType, encodeControl } from '../../src/wire';

/*
 * `qrtr lookup --format qrtr-lookup` held to the real qrtr-lookup (qrtr-tools, linux-msm/qrtr
 * src/lookup.c): the header, the row formats and the service names are read out of the
 * installed /usr/bin/qrtr-lookup itself, so the witness is the tool scripts were written
 * against, not this project's idea of it. (The host has no AF_QIPCRTR to run it on; the kernel
 * harness, test/kernel/guest/new-server-lookup.check.ts, compares the two byte for byte.)
 */
const DIST = resolve(__dirname, '..', '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');
const QRTR = join(DIST, 'src', 'cli', 'qrtr.js');
const REAL = '/usr/bin/qrtr-lookup';

/** The printable strings of a binary's data (what `strings` shows), each whole. */
function binaryStrings(path: string): Set<string> {
  return new Set(readFileSync(path).toString('latin1').split(/[^\x20-\x7e]+/).filter((s) => s.length >= 3));
}

/** The binary holds `word` as a C string: whole, or as the tail of a longer one (the linker merges "CMD" into "DCI_CMD"). */
function holds(strings: Set<string>, word: string): boolean {
  return strings.has(word) || [...strings].some((s) => s.endsWith(word));
}

/** C printf for the conversions qrtr-lookup uses: %Nd, %Nu, %Ns, %s. */
function printf(format: string, ...args: (string | number)[]): string {
  let i = 0;
  return format.replace(/%(\d*)([dus])/g, (_m, width: string, conversion: string) => {
    const arg = args[i++];
    const text = conversion === 's' ? String(arg) : String((arg as number) >>> 0);
    return text.padStart(Number(width || 0));
  });
}

// get_diag_instance_info of lookup.c: subsystem (instance >> 6) and channel (instance & 0x3f).
const DIAG_SUBSYSTEMS = ['MODEM', 'LPASS', 'WCNSS', 'SENSORS', 'CDSP', 'WDSP'];
const DIAG_CHANNELS = ['CNTL', 'CMD', 'DATA', 'DCI_CMD', 'DCI'];

describe("qrtr lookup --format qrtr-lookup against the installed qrtr-lookup's formats and names", function () {
  this.timeout(60_000);
  let dir: string;
  let socket: string;
  let daemon: ChildProcess | undefined;
  let connection: QrtrdConnection | undefined;
  let strings: Set<string>;

  before(async function () {
    if (!existsSync(REAL)) {
      if (process.env.CI === 'true') throw new Error(`${REAL} is missing: qrtr-tools is in .ci/apt.d/kernel.txt`);
      console.log(`      (pending: ${REAL} is not installed; apt-get install qrtr-tools)`);
      this.skip();
    }
    strings = binaryStrings(REAL);
    dir = mkdtempSync(join(tmpdir(), 'qrtr-lookup-'));
    socket = join(dir, 'qrtrd.sock');
    daemon = spawn(process.execPath, [QRTRD, '--socket', socket, '--quiet', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolvePromise, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`qrtrd not ready: ${out}`)), 30_000);
      daemon!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^qrtrd ready/m.test(out)) {
          clearTimeout(timer);
          resolvePromise();
        }
      });
      daemon!.once('exit', (code) => reject(new Error(`qrtrd exited ${code}`)));
    });
    // Servers beside the simulation's: DIAG with a known and an unknown instance word, and a
    // service no table names, registered the way libqrtr does (NEW_SERVER to the control port).
    connection = await connectQrtrd(socket);
    for (const [service, word] of [
      [4097, (1 << 6) | 2],
      [4097, (9 << 6) | 7],
      [0x7123, 0x301],
    ]) {
      const s = await connection.openSocket();
      await s.send({ node: connection.localNode, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_SERVER, service, instance: word }));
    }
    for (let i = 0; i < 50; i++) {
      const rows = JSON.parse(spawnSync(process.execPath, [QRTR, 'lookup', '--json', '--socket', socket], { encoding: 'utf8' }).stdout) as { service: number }[];
      if (rows.filter((r) => r.service === 4097 || r.service === 0x7123).length === 3 && rows.some((r) => r.service === 69)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    connection?.close();
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("should print qrtr-lookup's header and every row in its printf formats, with its names (<unknown>, DIAG's <unk>)", () => {
    const header = [...strings].filter((s) => s.startsWith('  Service '));
    expect(header, 'the header qrtr-lookup prints').to.have.length(1);
    const formats = [...strings].filter((s) => /^%9[du] /.test(s));
    const diagFormat = formats.find((f) => f.endsWith(' (%s)'));
    const rowFormat = formats.find((f) => f !== diagFormat && f.endsWith(' %s'));
    expect(diagFormat, `the DIAG row format among ${JSON.stringify(formats)}`).to.be.a('string');
    expect(rowFormat, `the row format among ${JSON.stringify(formats)}`).to.be.a('string');
    for (const word of ['<unknown>', '<unk>', 'N/A', 'DIAG service', ...DIAG_SUBSYSTEMS, ...DIAG_CHANNELS]) expect(holds(strings, word), `${REAL} holds '${word}'`).to.equal(true);

    const rows = JSON.parse(spawnSync(process.execPath, [QRTR, 'lookup', '--json', '--socket', socket], { encoding: 'utf8' }).stdout) as {
      service: number;
      version: number;
      instance: number;
      node: number;
      port: number;
      name: string;
    }[];
    const printed = spawnSync(process.execPath, [QRTR, 'lookup', '--format', 'qrtr-lookup', '--socket', socket], { encoding: 'utf8' });
    expect(printed.status, printed.stderr).to.equal(0);
    const expected = rows.map((r) => {
      if (r.service !== 4097) {
        // The name is qrtr-lookup's: one of the names in the binary, or its <unknown>.
        const name = r.service === 0x7123 ? '<unknown>' : r.name;
        expect(holds(strings, name), `service ${r.service}: '${name}' is a name qrtr-lookup prints`).to.equal(true);
        return printf(rowFormat!, r.service, r.version, r.instance, r.node, r.port, name);
      }
      const word = ((r.instance << 8) | r.version) >>> 0;
      const diag = `${DIAG_SUBSYSTEMS[word >>> 6] ?? '<unk>'}:${DIAG_CHANNELS[word & 0x3f] ?? '<unk>'}`;
      return printf(diagFormat!, r.service, 'N/A', word, r.node, r.port, 'DIAG service', diag);
    });
    expect(printed.stdout).to.equal(`${header[0]}\n${expected.join('\n')}\n`);
    // What the simulation publishes, and the extra servers, are all there.
    expect(rows.map((r) => r.service)).to.include.members([1, 2, 3, 26, 69, 4097, 0x7123]);
    expect(printed.stdout).to.contain(' DIAG service (LPASS:DATA)\n').and.contain(' DIAG service (<unk>:<unk>)\n').and.contain(' <unknown>\n');
  });
});
