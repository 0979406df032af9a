import { expect } from 'chai';
import { IncidentLog, MAX_INCIDENT_KEYS, type IncidentLine } from '../../src/daemon/incident-log';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('IncidentLog', () => {
  it('should write the first incident of a key at once and the rest as one summary per interval with their count', async () => {
    const log = new IncidentLog(40);
    const lines: (IncidentLine & { key: string })[] = [];
    for (let i = 0; i < 50_000; i++) log.report('ns:2:7:NEW_SERVER', (l) => lines.push({ key: 'a', ...l }));
    log.report('ns:3:9:NEW_SERVER', (l) => lines.push({ key: 'b', ...l }));
    expect(lines).to.deep.equal([
      { key: 'a', count: 1, summary: false },
      { key: 'b', count: 1, summary: false },
    ]);
    await sleep(60);
    expect(lines.slice(2)).to.deep.equal([{ key: 'a', count: 49_999, summary: true }]);
    // Still going in the next interval: one more summary, then quiet.
    log.report('ns:2:7:NEW_SERVER', (l) => lines.push({ key: 'a', ...l }));
    log.report('ns:2:7:NEW_SERVER', (l) => lines.push({ key: 'a', ...l }));
    await sleep(60);
    expect(lines.slice(3)).to.deep.equal([{ key: 'a', count: 2, summary: true }]);
    await sleep(60);
    expect(lines).to.have.length(4);
    expect(log.suppressed).to.equal(50_001);
  });

  it('should bound the keys it tracks and write pending summaries on flush', () => {
    const log = new IncidentLog(60_000);
    let lines = 0;
    let counted = 0;
    for (let i = 0; i < MAX_INCIDENT_KEYS + 500; i++) {
      log.report(`peer ${i}`, (l) => {
        lines++;
        counted += l.count;
      });
    }
    expect(lines).to.equal(MAX_INCIDENT_KEYS + 1);
    log.flush();
    expect(counted).to.equal(MAX_INCIDENT_KEYS + 500);
  });
});
