import { merge, type Observable } from 'rxjs';
import type { PluginHost } from '../host';
import { STATUS_SECTION, type StatusRow, type StatusSection, type StatusSectionContribution } from '../sdk';

/** Every contributed status section, merged by id (rows of all contributors, sorted). */
export function collectSections(host: PluginHost | null, onError: (plugin: string, err: unknown) => void): StatusSection[] {
  const merged = new Map<string, { head: StatusSectionContribution; rows: StatusRow[] }>();
  for (const { plugin, contribution } of host?.contributions(STATUS_SECTION) ?? []) {
    let entry = merged.get(contribution.id);
    if (!entry) merged.set(contribution.id, (entry = { head: contribution, rows: [] }));
    try {
      // One cell per header of the merged table, whatever a contributor sent ('-' where it has none).
      const width = entry.head.headers.length;
      for (const row of contribution.rows()) {
        entry.rows.push(row.cells.length === width ? row : { ...row, cells: Array.from({ length: width }, (_, i) => row.cells[i] ?? '-') });
      }
    } catch (err) {
      onError(plugin, err);
    }
  }
  return [...merged.values()].map(({ head, rows }) => ({
    id: head.id,
    title: head.title,
    headers: head.headers,
    empty: head.empty ?? `Nothing to show for ${head.id}`,
    rows: rows.sort((a, b) => a.order - b.order || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  }));
}

/** Emits whenever any contributed section changes. */
export function sectionChanges$(host: PluginHost): Observable<unknown> {
  return merge(...host.contributions(STATUS_SECTION).map((c) => c.contribution.changed$));
}

/** Resolves when every section with something to wait for is ready. */
export async function whenSectionsReady(host: PluginHost, timeoutMs: number): Promise<void> {
  await Promise.all(host.contributions(STATUS_SECTION).map((c) => c.contribution.whenReady?.(timeoutMs)));
}
