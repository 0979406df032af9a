/** How the modem's data plane is exposed to the OS (docs/dataplane.md). */
export interface NetdevConfig {
  /**
   * `raw-ip`: one interface per BAM-DMUX channel the modem opens, as qcom_bam_dmux and
   * ModemManager use it. `qmap`: one interface per QMAP mux id on channel 0 (rmnet style).
   */
  readonly mode: 'raw-ip' | 'qmap';
  /** Interface name pattern; `%d` lets the kernel number them. Default `wwan%d` / `rmnet_data%d`. */
  readonly name: string;
  /** MTU of the channel's interface (raw IP), or of the lower device the rmnet MTU derives from (QMAP). Default 1500, at most 2040. */
  readonly mtu: number;
}

/** BAM-DMUX carries at most 2040 bytes per buffer: the driver's max_mtu. */
export const BAM_DMUX_MAX_MTU = 2040;
/** The QMAP (MAP) header rmnet puts before every packet. */
export const QMAP_HEADER_OVERHEAD = 4;

/** One OS interface of a modem's data plane, as the daemon reports it (the `netdevs` query, `qrtr connect`). */
export interface ModemNetdevInfo {
  readonly interface: string;
  readonly mode: NetdevConfig['mode'];
  /** Raw IP: the BAM-DMUX channel (the driver's dev_port). QMAP: the mux id. */
  readonly port: number;
  readonly mtu: number;
  readonly maxMtu: number;
  /** The bridge's counters (packets, bytes, drops by reason). */
  readonly stats: object;
}

/** The simulated modem of the daemon's configuration (`simulation.modem`): a DMS service on its own node plus a BAM-DMUX/QMAP data plane. */
export interface SimulatedModemConfig {
  /** rpmsg device name the modem is keyed by (`rpmsg:<name>`). */
  readonly rpmsgDevice: string;
  /** Node id the modem presents (0 on Qualcomm SoCs). */
  readonly node: number;
  readonly muxIds: readonly number[];
  /** Packets per second the modem generates per mux id (0 = none). */
  readonly trafficPps: number;
  /** One-way latency of the simulated network behind its calls, ms (default 0). */
  readonly latencyMs?: number;
  /** Share of echo requests that network loses, percent (default 0). */
  readonly lossPercent?: number;
}
