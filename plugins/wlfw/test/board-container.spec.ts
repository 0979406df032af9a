import { expect } from 'chai';
import fc from 'fast-check';
import { BoardContainerMalformedError, BoardIe, parseBoardContainer } from '../src';
import { buildBoardContainer } from '../sim';

const MAGIC = 'QCA-ATH11K-BOARD';

describe('board-2.bin container parsing', () => {
  it('should read back what the container writer wrote: every DATA with the NAMEs before it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ie: fc.constantFrom(0, 1), names: fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 3 }), data: fc.uint8Array({ minLength: 1, maxLength: 200 }) }), { maxLength: 8 }),
        (entries) => {
          const parsed = parseBoardContainer(buildBoardContainer('ath11k', entries), 'board-2.bin', MAGIC);
          const latin1 = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');
          expect(parsed.map((e) => ({ ie: e.ie, names: e.names, data: [...e.data] }))).to.deep.equal(
            entries.map((e) => ({ ie: e.ie, names: e.names.map(latin1), data: [...e.data] })),
          );
        },
      ),
    );
  });

  it('should answer any byte string with entries inside the buffer or a BoardContainerMalformedError, nothing else', () => {
    const valid = buildBoardContainer('ath11k', [
      { ie: BoardIe.BOARD, names: ['bus=pci,qmi-chip-id=0,qmi-board-id=1'], data: new Uint8Array(100) },
      { ie: BoardIe.REGDB, names: ['bus=pci'], data: new Uint8Array(30) },
    ]);
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // A valid prefix with random bytes spliced in or cut off: lengths that lie.
      fc.tuple(fc.nat(valid.length), fc.uint8Array({ maxLength: 40 }), fc.nat(valid.length)).map(([at, junk, cut]) => {
        const b = new Uint8Array([...valid.subarray(0, at), ...junk, ...valid.subarray(at + junk.length)]);
        return b.subarray(0, Math.max(cut, 20));
      }),
    );
    fc.assert(
      fc.property(hostile, (bytes) => {
        try {
          for (const e of parseBoardContainer(bytes, 'f', MAGIC)) {
            expect(e.data.byteOffset + e.data.length).to.be.at.most(bytes.byteOffset + bytes.length);
            expect(e.data.length).to.be.greaterThan(0);
          }
        } catch (err) {
          expect(err).to.be.instanceOf(BoardContainerMalformedError);
          expect((err as BoardContainerMalformedError).details).to.include({ path: 'f' });
          expect((err as BoardContainerMalformedError).details.offset).to.be.within(0, bytes.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('should name the offset of a zero-length DATA and of an IE running past the end', () => {
    const zero = buildBoardContainer('ath11k', [{ ie: 0, names: ['n'], data: new Uint8Array(0) }]);
    expect(() => parseBoardContainer(zero, 'z.bin', MAGIC)).to.throw(BoardContainerMalformedError, /offset 40: zero-length DATA/);
    const long = buildBoardContainer('ath11k', [{ ie: 0, names: ['n'], data: new Uint8Array(8) }]);
    new DataView(long.buffer).setUint32(24, 1000, true);
    expect(() => parseBoardContainer(long, 'l.bin', MAGIC)).to.throw(BoardContainerMalformedError, /l\.bin is malformed at offset 20: IE 0 of 1000 bytes runs past the end/);
  });
});
