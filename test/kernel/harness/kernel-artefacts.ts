import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, repoRoot } from './paths';

/** What a VM boot needs; everything lives under the cache directory. */
export interface KernelArtefacts {
  readonly release: string;
  readonly vmlinuz: string;
  readonly initrd: string;
  readonly qrtrTunKo: string;
  /** Seconds spent preparing (0 when everything came from the cache). */
  readonly preparedInSeconds: number;
}

/** Modules loaded by the guest init, in dependency order (the init retries a few passes). */
const GUEST_MODULES = [
  'drivers/virtio/virtio_ring',
  'drivers/virtio/virtio',
  'drivers/virtio/virtio_pci_legacy_dev',
  'drivers/virtio/virtio_pci_modern_dev',
  'drivers/virtio/virtio_pci',
  'fs/netfs/netfs',
  'fs/fscache/fscache',
  'net/9p/9pnet',
  'net/9p/9pnet_virtio',
  'fs/9p/9p',
  'net/qrtr/qrtr',
];

function sh(script: string, cwd?: string): string {
  const result = spawnSync('/bin/sh', ['-ec', script], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`kernel harness step failed (exit ${result.status}): ${script}\n${result.stdout}${result.stderr}`.trim());
  }
  return result.stdout;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Runs `produce(tmp)` and moves tmp to `target` only on success, so a cache entry is whole or absent. */
function cached(target: string, produce: (tmp: string) => void): void {
  if (existsSync(target)) return;
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    produce(tmp);
    try {
      renameSync(tmp, target);
    } catch (error) {
      // Another run (a parallel test process) filled the entry first: use theirs.
      if (!existsSync(target)) throw error;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function unpackImage(dir: string, pkg: string): void {
  cached(join(dir, 'image'), (tmp) => {
    sh(`apt-get download -q ${quote(pkg)} >/dev/null 2>&1 || apt-get download ${quote(pkg)}`, tmp);
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
    sh(`dpkg-deb -x ${quote(deb)} root && rm -f ${quote(deb)}`, tmp);
    const boot = join(tmp, 'root', 'boot');
    const vmlinuz = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new Error(`${pkg} has no /boot/vmlinuz-*`);
    copyFileSync(join(boot, vmlinuz), join(tmp, 'vmlinuz'));
    const modules = join(tmp, 'root', 'lib', 'modules');
    const release = readdirSync(modules)[0];
    mkdirSync(join(tmp, 'modules'));
    for (const module of GUEST_MODULES) {
      copyFileSync(join(modules, release, 'kernel', `${module}.ko`), join(tmp, 'modules', `${module.split('/').pop()}.ko`));
    }
    rmSync(join(tmp, 'root'), { recursive: true, force: true });
  });
}

/**
 * qrtr-tun.ko: Debian builds CONFIG_QRTR=m without CONFIG_QRTR_TUN. Two files of the
 * matching Debian source (net/qrtr/tun.c and qrtr.h) built out of tree against the
 * installed headers. The source tarball comes from linux-source-X.Y if installed,
 * else from `apt-get download` into the cache.
 */
function buildQrtrTun(dir: string, release: string): void {
  const series = /^(\d+\.\d+)/.exec(release)?.[1];
  if (!series) throw new Error(`cannot tell the kernel series of ${release}`);
  cached(join(dir, 'qrtr-tun'), (tmp) => {
    let tarball = `/usr/src/linux-source-${series}.tar.xz`;
    if (!existsSync(tarball)) {
      sh(`apt-get download -q linux-source-${series} >/dev/null`, tmp);
      sh(`dpkg-deb --fsys-tarfile linux-source-${series}_*.deb | tar -x ./usr/src/linux-source-${series}.tar.xz && rm -f *.deb`, tmp);
      tarball = join(tmp, 'usr', 'src', `linux-source-${series}.tar.xz`);
    }
    sh(`tar -xJf ${quote(tarball)} --wildcards --strip-components=3 '*/net/qrtr/tun.c' '*/net/qrtr/qrtr.h'`, tmp);
    rmSync(join(tmp, 'usr'), { recursive: true, force: true });
    writeFileSync(join(tmp, 'Kbuild'), 'obj-m += qrtr-tun.o\nqrtr-tun-y := tun.o\n');
    sh(`make -s -C /usr/src/linux-headers-${release} M=${quote(tmp)} modules >build.log 2>&1 || { cat build.log; exit 1; }`, tmp);
    if (!existsSync(join(tmp, 'qrtr-tun.ko'))) throw new Error('qrtr-tun.ko was not produced');
  });
}

function buildInitrd(dir: string): string {
  const init = readFileSync(join(repoRoot(), 'test', 'kernel', 'harness', 'guest-init.sh'));
  const busybox = '/bin/busybox';
  const hash = createHash('sha256').update(init).update(readFileSync(busybox)).update(GUEST_MODULES.join(',')).digest('hex').slice(0, 16);
  const target = join(dir, `initrd-${hash}.gz`);
  if (existsSync(target)) return target;
  const tmp = mkdtempSync(join(dir, 'initrd-'));
  try {
    const root = join(tmp, 'root');
    for (const sub of ['bin', 'lib/qrtrd']) mkdirSync(join(root, sub), { recursive: true });
    copyFileSync(busybox, join(root, 'bin', 'busybox'));
    writeFileSync(join(root, 'init'), init, { mode: 0o755 });
    const names = [...GUEST_MODULES.map((m) => m.split('/').pop() as string), 'qrtr-tun'];
    for (const name of names.slice(0, -1)) copyFileSync(join(dir, 'image', 'modules', `${name}.ko`), join(root, 'lib', 'qrtrd', `${name}.ko`));
    copyFileSync(join(dir, 'qrtr-tun', 'qrtr-tun.ko'), join(root, 'lib', 'qrtrd', 'qrtr-tun.ko'));
    writeFileSync(join(root, 'lib', 'qrtrd', 'modules.order'), names.join('\n') + '\n');
    sh(`chmod 755 bin/busybox init && find . | cpio -o -H newc --quiet | gzip -1 > ${quote(`${target}.part`)}`, root);
    renameSync(`${target}.part`, target);
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Downloads/builds (or reuses from the cache) the kernel, qrtr-tun.ko and the initramfs
 * for `kernelPackage` (e.g. linux-image-6.1.0-56-amd64). Throws with the failing step's output.
 */
export function prepareKernelArtefacts(kernelPackage: string): KernelArtefacts {
  const started = process.hrtime.bigint();
  const release = kernelPackage.replace(/^linux-image-/, '');
  const dir = join(cacheRoot(), release);
  mkdirSync(dir, { recursive: true });
  unpackImage(dir, kernelPackage);
  buildQrtrTun(dir, release);
  const initrd = buildInitrd(dir);
  return {
    release,
    vmlinuz: join(dir, 'image', 'vmlinuz'),
    initrd,
    qrtrTunKo: join(dir, 'qrtr-tun', 'qrtr-tun.ko'),
    preparedInSeconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
