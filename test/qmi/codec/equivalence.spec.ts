import { expect } from 'chai';
import fc from 'fast-check';
import { QmiDecodeError, QmiResultError, compileBody, interpretBody, type QmiMessageSchema } from '../../../src/qmi';
import { arbSchema, arbSchemaAndValue, catchError, normalize } from './arbitraries';

function engines(schema: QmiMessageSchema) {
  return { compiled: compileBody(schema), interpreted: interpretBody(schema) };
}

/** Decodes with both engines; asserts same value or same error class, code and details. */
function decodeBoth(schema: QmiMessageSchema, bytes: Uint8Array): void {
  const { compiled, interpreted } = engines(schema);
  const a = catchError(() => compiled.decode(bytes));
  const b = catchError(() => interpreted.decode(bytes));
  if (a === undefined || b === undefined) {
    expect(a, 'both engines accept').to.equal(undefined);
    expect(b, 'both engines accept').to.equal(undefined);
    expect(normalize(compiled.decode(bytes))).to.deep.equal(normalize(interpreted.decode(bytes)));
    return;
  }
  if (!(a instanceof QmiDecodeError || a instanceof QmiResultError)) throw a;
  expect(a.constructor).to.equal((b as Error).constructor);
  expect((a as QmiDecodeError).code).to.equal((b as QmiDecodeError).code);
  expect((a as QmiDecodeError).details).to.deep.equal((b as QmiDecodeError).details);
}

describe('QMI compiler vs interpreter', () => {
  it('should encode random schemas and values to identical bytes and decode them back', () => {
    fc.assert(
      fc.property(arbSchemaAndValue(), ([schema, value]) => {
        const { compiled, interpreted } = engines(schema);
        const bytes = compiled.encode(value as never);
        expect(Array.from(bytes)).to.deep.equal(Array.from(interpreted.encode(value as never)));
        expect(compiled.encodedLength(value as never)).to.equal(bytes.length);
        expect(normalize(compiled.decode(bytes))).to.deep.equal(normalize(value));
        expect(normalize(interpreted.decode(bytes))).to.deep.equal(normalize(value));
      }),
      { numRuns: 400 },
    );
  });

  it('should agree on every decode of random bytes (value or identical typed error)', () => {
    fc.assert(
      fc.property(arbSchema(), fc.uint8Array({ maxLength: 64 }), (schema, bytes) => decodeBoth(schema, bytes)),
      { numRuns: 1000 },
    );
  });

  it('should agree on mutated valid messages (bit flips, truncation, splices)', () => {
    const mutation = fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }), cut: fc.nat(), extra: fc.uint8Array({ maxLength: 4 }) });
    fc.assert(
      fc.property(arbSchemaAndValue(), fc.array(mutation, { minLength: 1, maxLength: 3 }), ([schema, value], muts) => {
        let bytes: Uint8Array = Uint8Array.from(compileBody(schema).encode(value as never));
        for (const m of muts) {
          if (bytes.length === 0) break;
          const copy = Uint8Array.from(bytes);
          copy[m.at % copy.length] ^= m.xor;
          bytes = m.cut % 3 === 0 ? copy.subarray(0, m.cut % copy.length) : m.cut % 3 === 1 ? Uint8Array.from([...copy, ...m.extra]) : copy;
        }
        decodeBoth(schema, bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('should reject invalid encode input with the same error code in both engines', () => {
    const junk = fc.oneof(fc.constant(null), fc.constant(-1), fc.constant(1.5), fc.constant('x'.repeat(300)), fc.constant(1n << 70n), fc.constant([1, 2, 3]), fc.constant('\u0100'));
    fc.assert(
      fc.property(arbSchemaAndValue(), fc.nat(), junk, ([schema, value], pick, bad) => {
        const keys = Object.keys(schema.fields);
        if (keys.length === 0) return;
        const broken = { ...value, [keys[pick % keys.length]!]: bad };
        const { compiled, interpreted } = engines(schema);
        const a = catchError(() => compiled.encode(broken as never)) as { code?: string } | undefined;
        const b = catchError(() => interpreted.encode(broken as never)) as { code?: string } | undefined;
        expect(a?.code).to.equal(b?.code);
        if (a !== undefined) expect(a.code).to.match(/^QMI_ENCODE_/);
      }),
      { numRuns: 500 },
    );
  });
});
