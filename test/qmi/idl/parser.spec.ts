import { expect } from 'chai';
import fc from 'fast-check';
import { QmiIdlError, buildSchemas, parseQmi, u16, u32, u8 } from '../../../src/qmi';

function parseError(source: string, strict = false): QmiIdlError {
  try {
    parseQmi(source, 'x.qmi', { strict });
  } catch (e) {
    if (e instanceof QmiIdlError) return e;
    throw e;
  }
  throw new Error('expected a QmiIdlError');
}

describe('parseQmi', () => {
  it('should parse package, consts, structs and all message keywords', () => {
    const f = parseQmi(`package p;
      const A = 10; const B = 0x1f; const C = 017;   # decimal, hex, octal
      struct s { u8 x; u16 y; string z; };
      request r { required u32 a = 1; optional s b = 0x10; optional u8 c[A] = 0x11; optional u16 d(B) = 0x12; } = 0x20;
      response rr { required s res = 2; } = 0x20;
      indication i { } = C;
      message legacy { optional u64 v = 0x10; } = 0x21;`);
    expect(f.package).to.equal('p');
    expect(f.consts.map((c) => [c.name, c.value])).to.deep.equal([['A', 10n], ['B', 31n], ['C', 15n]]);
    expect(f.messages.map((m) => [m.name, m.kind, m.msgId.value])).to.deep.equal([
      ['r', 'request', 0x20n], ['rr', 'response', 0x20n], ['i', 'indication', 15n], ['legacy', 'response', 0x21n],
    ]);
    const r = f.messages[0]!;
    expect(r.fields[2]!.array).to.deep.equal({ fixed: true, size: { value: 10n, name: 'A' } });
    expect(r.fields[3]!.array).to.deep.equal({ fixed: false, size: { value: 31n, name: 'B' } });
  });

  it('should build runtime schemas with qmic semantics (strings max 256, count width by max)', () => {
    const m = buildSchemas(parseQmi('package p; struct s { u8 x; string z; }; request r { optional s b = 0x10; optional u16 d(300) = 0x11; optional u8 e(255) = 0x12; } = 1;'));
    const r = m.messages['r']!;
    expect(m.structs['s']!.fields).to.deep.equal({ x: u8, z: { kind: 'string', max: 256 } });
    expect(r.fields['d']!.type).to.deep.include({ kind: 'array', of: u16, countWidth: 2, length: 300 });
    expect(r.fields['e']!.type).to.deep.include({ countWidth: 1, length: 255 });
  });

  it('should accept the documented extensions and reject each in strict mode with its location', () => {
    const ext: Array<[string, string]> = [
      ['package p; struct s { u8 a(4); };', 'an array inside a struct'],
      ['package p; struct t { u8 a; };\nstruct s { t inner; };', 'a struct member of struct type'],
      ['package p; request r { optional i32 v = 0x10; } = 1;', 'type i32'],
      ['package p; request r { optional string<32> v = 0x10; } = 1;', 'string<N>'],
      ['package p; request r { optional u8 v(10:u16) = 0x10; } = 1;', 'an explicit count width'],
    ];
    for (const [src, feature] of ext) {
      parseQmi(src);
      const e = parseError(src, true);
      expect(e.code).to.equal('QMI_IDL_EXTENSION');
      expect(e.details).to.include({ feature });
    }
    const m = buildSchemas(parseQmi('package p; request r { optional u8 v(10:u16) = 0x10; optional string<32> s = 0x11; } = 1;'));
    expect(m.messages['r']!.fields['v']!.type).to.deep.include({ countWidth: 2 });
    expect(m.messages['r']!.fields['s']!.type).to.deep.equal({ kind: 'string', max: 32 });
  });

  it('should report syntax errors with file, line and column', () => {
    const e = parseError('package p;\nrequest r {\n  required u32 a 1;\n} = 1;');
    expect(e.code).to.equal('QMI_IDL_SYNTAX');
    expect([e.file, e.line, e.column]).to.deep.equal(['x.qmi', 3, 18]);
    expect(e.message).to.match(/^x\.qmi:3:18: expected '='/);
  });

  const bad: Array<[string, string, string]> = [
    ['bad octal digit', 'package p; const A = 08;', 'QMI_IDL_BAD_NUMBER'],
    ['hex without digits', 'package p; const A = 0x;', 'QMI_IDL_BAD_NUMBER'],
    ['more than 64 bits', 'package p; const A = 0x10000000000000000;', 'QMI_IDL_BAD_NUMBER'],
    ['unknown const', 'package p; request r { required u8 a = NOPE; } = 1;', 'QMI_IDL_UNKNOWN_NAME'],
    ['unknown type', 'package p; request r { required foo a = 1; } = 1;', 'QMI_IDL_UNKNOWN_NAME'],
    ['duplicate const', 'package p; const A = 1; const A = 2;', 'QMI_IDL_DUPLICATE'],
    ['duplicate TLV id', 'package p; request r { required u8 a = 1; required u8 b = 1; } = 1;', 'QMI_IDL_DUPLICATE'],
    ['duplicate field', 'package p; request r { required u8 a = 1; required u8 a = 2; } = 1;', 'QMI_IDL_DUPLICATE'],
    ['TLV id above 255', 'package p; request r { required u8 a = 256; } = 1;', 'QMI_IDL_RANGE'],
    ['msg id above 65535', 'package p; request r { } = 0x10000;', 'QMI_IDL_RANGE'],
    ['missing package', 'const A = 1;', 'QMI_IDL_PACKAGE'],
    ['two packages', 'package p; package q;', 'QMI_IDL_PACKAGE'],
    ['stray character', 'package p; @', 'QMI_IDL_SYNTAX'],
    ['missing required/optional', 'package p; request r { u8 a = 1; } = 1;', 'QMI_IDL_SYNTAX'],
    ['unterminated message', 'package p; request r { required u8 a = 1;', 'QMI_IDL_SYNTAX'],
  ];
  for (const [what, src, code] of bad) {
    it(`should reject ${what} with ${code}`, () => {
      expect(parseError(src).code).to.equal(code);
    });
  }

  it('should treat # as a comment to end of line', () => {
    const f = parseQmi('# header\npackage p; # trailing\n# const A = 1;\nconst B = 2;');
    expect(f.consts.map((c) => c.name)).to.deep.equal(['B']);
  });

  it('should only ever throw QmiIdlError on arbitrary input', () => {
    const token = fc.constantFrom('package', 'p', ';', 'const', 'A', '=', '1', '0x', '08', 'struct', '{', '}', 'request', 'required',
      'optional', 'u8', 'string', '<', '>', '(', ')', '[', ']', ':', 'u16', '#', '\n', '@');
    fc.assert(fc.property(fc.array(token, { maxLength: 30 }), (toks) => {
      try {
        buildSchemas(parseQmi(toks.join(' ')));
      } catch (e) {
        if (!(e instanceof QmiIdlError)) throw e;
      }
    }), { numRuns: 2000 });
    expect(u32.size).to.equal(4);
  });
});
