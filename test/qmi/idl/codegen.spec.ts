import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSchemas, dms, generateTs, nas, parseQmi, qmiTest, rmtfs, wda, wds, wlfw } from '../../../src/qmi';
import { main } from '../../../src/qmi/idl/codegen-cli';

/** The repository root (tests may run from a build directory outside it). */
function repoRoot(): string {
  for (const dir of [resolve(__dirname, '../../..'), resolve(__dirname, '../../../..'), process.cwd()]) {
    if (existsSync(join(dir, 'src/qmi/schemas/wlfw.qmi'))) return dir;
  }
  throw new Error('cannot find src/qmi/schemas/wlfw.qmi');
}

const SHIPPED = [['wlfw', wlfw], ['rmtfs', rmtfs], ['test', qmiTest], ['dms', dms], ['wds', wds], ['wda', wda], ['nas', nas]] as const;

describe('QMI codegen', () => {
  for (const [name, generated] of SHIPPED) {
    it(`should regenerate src/qmi/schemas/generated/${name}.ts byte for byte`, () => {
      const root = repoRoot();
      const rel = `src/qmi/schemas/${name}.qmi`;
      const fresh = generateTs(parseQmi(readFileSync(join(root, rel), 'utf8'), rel));
      expect(fresh).to.equal(readFileSync(join(root, `src/qmi/schemas/generated/${name}.ts`), 'utf8'));
    });

    it(`should generate the same schemas for ${name} as building them at run time`, () => {
      const root = repoRoot();
      const built = buildSchemas(parseQmi(readFileSync(join(root, `src/qmi/schemas/${name}.qmi`), 'utf8')));
      expect(Object.keys(generated.messages)).to.deep.equal(Object.keys(built.messages));
      for (const [msg, schema] of Object.entries(built.messages)) {
        expect((generated.messages as Record<string, unknown>)[msg], msg).to.deep.equal(schema);
      }
      for (const [c, v] of Object.entries(built.consts)) expect((generated as Record<string, unknown>)[c], c).to.equal(v);
    });
  }

  it('should write a module from the CLI and report parse errors as file:line:column with status 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmi-codegen-'));
    try {
      const logs: string[] = [];
      const root = repoRoot();
      expect(main([join(root, 'src/qmi/schemas/rmtfs.qmi'), '-o', join(dir, 'out.ts'), '--strict', '--import', 'qrtrd'], (l) => logs.push(l))).to.equal(0);
      expect(readFileSync(join(dir, 'out.ts'), 'utf8')).to.contain("from 'qrtrd'").and.to.contain('export const rmtfs_open_req = qmiRequest(');
      expect(main([join(root, 'src/qmi/schemas/wlfw.qmi'), '-o', join(dir, 'w.ts'), '--strict'], (l) => logs.push(l))).to.equal(1);
      expect(logs.at(-1)).to.match(/wlfw\.qmi:\d+:\d+: .*extension/);
      expect(main(['-o'], (l) => logs.push(l))).to.equal(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should infer value types from generated schemas (compile-time check)', () => {
    const v: wlfw.WlfwCapResp = { resp: { result: 0, error: 0 }, fw_version_info: { fw_version: 1, fw_build_timestamp: 'x' }, fw_caps: 1n };
    // @ts-expect-error fw_status is a bigint, not a number
    const bad: wlfw.WlfwIndRegisterResp = { resp: { result: 0, error: 0 }, fw_status: 1 };
    // @ts-expect-error resp is mandatory
    const missing: wlfw.WlfwCapResp = {};
    const data: wlfw.WlfwBdfDownloadReq['data'] = new Uint8Array(1);
    expect([v, bad, missing, data]).to.have.length(4);
  });
});
