import { expect } from 'chai';
import { compileBody, interpretBody, type QmiBodyCodec, type QmiMessageSchema } from '../../../src/qmi';
import { catchError } from './arbitraries';

/** Parses "00 07 0a" style hex into bytes. */
export function hexBytes(text: string): Uint8Array {
  const clean = text.replace(/[\s|]+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export const ENGINES = [
  ['compiled', compileBody],
  ['interpreted', interpretBody],
] as const;

/** Both engines' body codecs for a schema. */
export function bothEngines<S extends QmiMessageSchema>(schema: S): Array<[string, QmiBodyCodec<S>]> {
  return ENGINES.map(([name, make]) => [name, make(schema)]);
}

/** Asserts both engines reject `body` with `code`; returns the compiled engine's error. */
export function expectDecodeError(schema: QmiMessageSchema, body: Uint8Array, code: string): Error & { code: string; details: Record<string, unknown> } {
  let first: (Error & { code: string; details: Record<string, unknown> }) | undefined;
  for (const [name, codec] of bothEngines(schema)) {
    const e = catchError(() => codec.decode(body)) as Error & { code: string; details: Record<string, unknown> };
    expect(e, `${name} engine must reject`).to.be.instanceOf(Error);
    expect(e.code, `${name} engine code`).to.equal(code);
    first ??= e;
  }
  return first!;
}
