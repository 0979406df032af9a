/**
 * Builds the kernel-encoder comparison harness at bench/test time: extracts only
 * drivers/soc/qcom/qmi_encdec.c and include/linux/soc/qcom/qmi.h from Debian's
 * linux-source-6.1 tarball into a temp cache (never into the repository), compiles them with
 * the shim headers and bench.c using gcc -O2, and returns the binary's path, or why not.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { wlfw, type QmiValue } from '../../src/qmi';

export const KERNEL_SOURCE_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
const MEMBERS = ['drivers/soc/qcom/qmi_encdec.c', 'include/linux/soc/qcom/qmi.h'];

export type HarnessResult = { readonly ok: true; readonly binary: string } | { readonly ok: false; readonly reason: string };

/** Directory holding bench.c and shim/ (works from the source tree or a build directory). */
export function harnessSourceDir(): string | undefined {
  const starts = [__dirname, process.cwd()];
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, 'bench/qmi-c');
      if (existsSync(join(candidate, 'bench.c'))) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

function run(cmd: string, args: string[], cwd?: string): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * `install`: when the tarball is missing and we are root, try `apt-get install -y
 * linux-source-6.1` first (opt-in: benches set it from QMI_BENCH_INSTALL=1).
 */
export function buildKernelHarness(options: { install?: boolean } = {}): HarnessResult {
  const src = harnessSourceDir();
  if (!src) return { ok: false, reason: 'bench/qmi-c/bench.c not found' };
  if (!existsSync(KERNEL_SOURCE_TARBALL) && options.install && process.getuid?.() === 0) {
    try {
      run('apt-get', ['install', '-y', 'linux-source-6.1']);
    } catch (e) {
      return { ok: false, reason: `apt-get install linux-source-6.1 failed: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  if (!existsSync(KERNEL_SOURCE_TARBALL)) {
    return { ok: false, reason: `${KERNEL_SOURCE_TARBALL} not present (apt-get install -y linux-source-6.1, or set QMI_BENCH_INSTALL=1)` };
  }
  try {
    run('gcc', ['--version']);
  } catch {
    return { ok: false, reason: 'gcc not available' };
  }
  const st = statSync(KERNEL_SOURCE_TARBALL);
  const cache = join(tmpdir(), `qrtrd-qmi-kernel-${st.size}-${Math.floor(st.mtimeMs)}`);
  const root = join(cache, 'linux-source-6.1');
  try {
    if (!MEMBERS.every((m) => existsSync(join(root, m)))) {
      mkdirSync(cache, { recursive: true });
      run('tar', ['-xJf', KERNEL_SOURCE_TARBALL, '-C', cache, ...MEMBERS.map((m) => `linux-source-6.1/${m}`)]);
    }
    const binary = join(cache, `qmi-bench-${process.pid}`);
    run('gcc', ['-O2', '-w', '-I', join(src, 'shim'), '-I', join(root, 'include'), '-o', binary, join(root, MEMBERS[0]!), join(src, 'bench.c')]);
    return { ok: true, binary };
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    return { ok: false, reason: `build failed: ${(err.stderr?.toString() || err.message).trim().split('\n').slice(0, 3).join(' / ')}` };
  }
}

/** Runs the harness; `--dump` prints datagrams, no argument prints timings. */
export function runHarness(binary: string, dump: boolean): Map<string, string[]> {
  const out = execFileSync(binary, dump ? ['--dump'] : [], { encoding: 'utf8' });
  const rows = new Map<string, string[]>();
  for (const line of out.trim().split('\n')) {
    const [name, ...rest] = line.split(' ');
    rows.set(name!, rest);
  }
  return rows;
}

/** The three messages of the comparison, with exactly the values bench.c encodes. */
export function comparisonMessages() {
  const data = new Uint8Array(6144);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  const indRegister: QmiValue<typeof wlfw.wlfw_ind_register_req> = {
    fw_ready_enable: 1, client_id: 0x4b4e454c, request_mem_enable: 1, fw_mem_ready_enable: 1, fw_init_done_enable: 1, cal_done_enable: 1,
  };
  const cap: QmiValue<typeof wlfw.wlfw_cap_resp> = {
    resp: { result: 0, error: 0 },
    chip_info: { chip_id: 0x1234, chip_family: 0x4001 },
    board_info: { board_id: 0xff },
    soc_info: { soc_id: 0x400c0000 },
    fw_version_info: { fw_version: 0x01020304, fw_build_timestamp: '2024-01-01 12:00' },
    fw_build_id: 'WLAN.HSP.1.1-03125-QCAHSPSWPL_V1_V2_SILICONZ_LITE-3.6510.37',
    num_macs: 2, voltage_mv: 3300, time_freq_hz: 19200000, otp_version: 0,
  };
  const bdf: QmiValue<typeof wlfw.wlfw_bdf_download_req> = {
    valid: 1, file_id: 0xff, total_size: 100000, seg_id: 3, data, end: 0, bdf_type: 1,
  };
  return [
    { name: 'ind_register_req', schema: wlfw.wlfw_ind_register_req, value: indRegister },
    { name: 'cap_resp', schema: wlfw.wlfw_cap_resp, value: cap },
    { name: 'bdf_download_req', schema: wlfw.wlfw_bdf_download_req, value: bdf },
  ] as const;
}
