import { Observable, asyncScheduler, interval, map, type SchedulerLike } from 'rxjs';
import { BamDmux, type BamDmuxBackendKey, type BamDmuxStats } from '../src/bam-dmux';
import type { BamDmuxChannel } from '../src/bam-dmux-channel';
import type { BamDmuxPadding } from '../src/bam-dmux-header';
import type { QmapChecksumMode } from '../src/qmap/qmap-header';
import { QmapMux, type QmapMuxStats } from '../src/qmap/qmap-mux';
import type { QmapLink } from '../src/qmap/qmap-link';
import { MemoryBamTransport } from './memory-bam-transport';
import { ModemSimulator, type ModemSimulatorStats } from './modem-simulator';
import { SimulatedPowerLines } from './simulated-power-lines';
import type { SimulatedNetwork } from './simulated-network';

export interface SimulatedModemOptions {
  backendKey?: BamDmuxBackendKey;
  endpointId?: number;
  scheduler?: SchedulerLike;
  /** Channels the modem opens at start; default [0]. The host opens each locally as it appears. */
  channels?: number[];
  /** Host transmit padding; the modem uses the other rule so both are exercised. Default 'mainline'. */
  padding?: BamDmuxPadding;
  /** QMAP over channel 0: links for these mux ids. */
  qmap?: { muxIds: number[]; ingressChecksum?: QmapChecksumMode; egressChecksum?: QmapChecksumMode };
  /** Echo host traffic back. Default false. */
  echo?: boolean;
  ackDelayMs?: number;
  /** The network behind the modem's calls (answers host traffic); see ModemSimulatorOptions.network. */
  network?: SimulatedNetwork;
  /** One-way latency of that network in ms; default 0. */
  networkLatencyMs?: number;
  /** Period of stats$ in ms; default 1000. */
  statsIntervalMs?: number;
}

export interface SimulatedModemStats {
  dmux: BamDmuxStats;
  modem: ModemSimulatorStats;
  qmap?: QmapMuxStats;
}

/** A host data plane wired to a simulated modem. */
export interface SimulatedModem {
  dmux: BamDmux;
  modem: ModemSimulator;
  transport: MemoryBamTransport;
  lines: SimulatedPowerLines;
  /** The QMAP mux on channel 0 and its links, when `qmap` was given (available after `ready`). */
  qmap(): { mux: QmapMux; links: Map<number, QmapLink> } | undefined;
  /** Resolves once the modem's channels are open on both sides. */
  ready: Promise<void>;
  /** Periodic stats snapshots. */
  stats$: Observable<SimulatedModemStats>;
  stats(): SimulatedModemStats;
  dispose(): void;
}

/**
 * Builds a BamDmux on an in-memory transport with a simulated modem, powers
 * the modem up and opens its channels: the one-call set-up for `npm start`
 * and for integration tests.
 */
export function createSimulatedModem(options: SimulatedModemOptions = {}): SimulatedModem {
  const scheduler = options.scheduler ?? asyncScheduler;
  const transport = new MemoryBamTransport();
  const lines = new SimulatedPowerLines();
  const padding = options.padding ?? 'mainline';
  const dmux = new BamDmux({
    backendKey: options.backendKey ?? { kind: 'rpmsg', key: 'sim-modem' },
    endpointId: options.endpointId ?? 0,
    transport,
    power: lines,
    scheduler,
    padding,
  });
  const modem = new ModemSimulator({
    transport,
    lines,
    scheduler,
    padding: padding === 'mainline' ? 'downstream' : 'mainline',
    echo: options.echo,
    ackDelayMs: options.ackDelayMs,
    network: options.network,
    networkLatencyMs: options.networkLatencyMs,
    // The host's egress mode frames what the modem receives, its ingress mode what the modem sends.
    networkQmap: options.qmap ? { ul: options.qmap.egressChecksum ?? 'none', dl: options.qmap.ingressChecksum ?? 'none' } : undefined,
  });
  const channels = options.channels ?? [0];
  let qmap: { mux: QmapMux; links: Map<number, QmapLink> } | undefined;
  const opened: Promise<void>[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    if (channels.length === 0) {
      resolve();
      return;
    }
    const subscription = dmux.channels$.subscribe((channel: BamDmuxChannel) => {
      opened.push(
        channel.open().then(() => {
          if (channel.id === 0 && options.qmap && !qmap) {
            const mux = new QmapMux({
              port: channel,
              ingressChecksum: options.qmap.ingressChecksum,
              egressChecksum: options.qmap.egressChecksum,
              scheduler,
            });
            qmap = { mux, links: new Map(options.qmap.muxIds.map((id) => [id, mux.addLink(id)])) };
          }
        }),
      );
      if (opened.length === channels.length) {
        subscription.unsubscribe();
        Promise.all(opened).then(() => resolve(), reject);
      }
    });
  });
  modem.start(channels);
  const stats = (): SimulatedModemStats => ({ dmux: dmux.stats(), modem: modem.stats(), qmap: qmap?.mux.stats() });
  return {
    dmux,
    modem,
    transport,
    lines,
    qmap: () => qmap,
    ready,
    stats$: interval(options.statsIntervalMs ?? 1000, scheduler).pipe(map(stats)),
    stats,
    dispose: () => {
      qmap?.mux.dispose();
      modem.dispose();
      dmux.dispose();
    },
  };
}
