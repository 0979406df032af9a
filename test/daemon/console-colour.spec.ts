import { expect } from 'chai';
import { ANSI_STATE_PAINTER, colourWanted, fitLine, formatSectionTable, visibleWidth } from '../../src/daemon/console-view';
import type { StatusSection } from '../../src/sdk';

/* The live view's colour: widths of the plain text, cuts by visible columns, NO_COLOR (https://no-color.org). */
describe('live view colour', () => {
  const section: StatusSection = {
    id: 'cards',
    title: 'Cards',
    headers: ['KEY', 'STATE', 'NOTE'],
    empty: 'none',
    rows: [
      { key: 'a', order: 0, cells: ['mhi:a', 'ready', 'x'], state: 'ready', data: null },
      { key: 'b', order: 1, cells: ['mhi:b', 'downloading', 'y'], state: 'downloading', data: null },
      { key: 'c', order: 2, cells: ['mhi:c', 'failed', 'z'], state: 'failed', failed: true, data: null },
    ],
  };

  it('should colour only the STATE cells (ready green, in progress yellow, failed red) and pad by the plain text', () => {
    const plain = formatSectionTable(section).split('\n');
    const coloured = formatSectionTable(section, ANSI_STATE_PAINTER).split('\n');
    expect(coloured.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''))).to.deep.equal(plain);
    expect(coloured[1]).to.contain('\x1b[32mready\x1b[39m').and.match(/ready\x1b\[39m {8}x$/);
    expect(coloured[2]).to.contain('\x1b[33mdownloading\x1b[39m');
    expect(coloured[3]).to.contain('\x1b[31mfailed\x1b[39m');
    expect(coloured[0]).to.not.contain('\x1b');
  });

  it('should cut a line by its visible width and close a colour it cuts through', () => {
    const line = `ab \x1b[32mready\x1b[39m cd`;
    expect(visibleWidth(line)).to.equal(11);
    expect(fitLine(line, 11)).to.equal(line);
    expect(fitLine(line, 6)).to.equal('ab \x1b[32mre\x1b[39m…');
    expect(visibleWidth(fitLine(line, 6))).to.equal(6);
    expect(fitLine(line, 10)).to.equal('ab \x1b[32mready\x1b[39m …');
  });

  it('should want colour only on a terminal, with NO_COLOR unset or empty, and TERM not dumb', () => {
    const tty = { write: () => true, isTTY: true };
    expect(colourWanted({}, tty)).to.equal(true);
    expect(colourWanted({ NO_COLOR: '' }, tty)).to.equal(true);
    expect(colourWanted({ NO_COLOR: '1' }, tty)).to.equal(false);
    expect(colourWanted({ NO_COLOR: '0' }, tty)).to.equal(false);
    expect(colourWanted({ TERM: 'dumb' }, tty)).to.equal(false);
    expect(colourWanted({}, { write: () => true, isTTY: false })).to.equal(false);
  });
});
