import { VirtualTimeScheduler } from 'rxjs';
import { BamDmux, type BamDmuxChannel, type BamDmuxOptions } from '../src';
import { MemoryBamTransport, ModemSimulator, SimulatedPowerLines, type ModemSimulatorOptions } from '../sim';

/** Virtual time for the data plane's timers: advance(ms) runs everything due. */
export class VirtualClock {
  readonly scheduler = new VirtualTimeScheduler();

  get now(): number {
    return this.scheduler.frame;
  }

  advance(ms: number): void {
    const target = this.scheduler.frame + ms;
    this.scheduler.maxFrames = target;
    this.scheduler.flush();
    this.scheduler.frame = target;
  }
}

/** Deferred work of the simulator, run explicitly so tests are deterministic. */
export class TaskQueue {
  private readonly tasks: (() => void)[] = [];
  readonly defer = (work: () => void): void => {
    this.tasks.push(work);
  };

  /** Runs queued tasks (and the ones they queue) until none are left. */
  run(limit = 1_000_000): void {
    for (let i = 0; i < limit && this.tasks.length > 0; i++) this.tasks.shift()!();
  }
}

export interface Rig {
  clock: VirtualClock;
  tasks: TaskQueue;
  transport: MemoryBamTransport;
  lines: SimulatedPowerLines;
  dmux: BamDmux;
  modem: ModemSimulator;
  /** The modem was made with `autoConsumeTx: false`: the test takes uplink descriptors itself. */
  manualTx: boolean;
  /** Runs deferred simulator work and zero-delay timers until quiet. */
  settle(): void;
}

/** A data plane and simulated modem on virtual time with explicit task running. */
export function createRig(options: Partial<BamDmuxOptions> = {}, modemOptions: Partial<ModemSimulatorOptions> = {}): Rig {
  const clock = new VirtualClock();
  const tasks = new TaskQueue();
  const transport = new MemoryBamTransport();
  const lines = new SimulatedPowerLines();
  const dmux = new BamDmux({
    backendKey: { kind: 'rpmsg', key: 'modem0' },
    endpointId: 3,
    transport,
    power: lines,
    scheduler: clock.scheduler,
    ...options,
  });
  const modem = new ModemSimulator({ transport, lines, scheduler: clock.scheduler, defer: tasks.defer, ...modemOptions });
  const settle = (): void => {
    for (let i = 0; i < 100; i++) {
      tasks.run();
      clock.advance(0);
      tasks.run();
    }
  };
  return { clock, tasks, transport, lines, dmux, modem, manualTx: modemOptions.autoConsumeTx === false, settle };
}

/**
 * Starts the modem with channel 0 and opens it from the host. With a manual-TX modem the OPEN
 * command's uplink descriptor is consumed here, or the open would wait for it forever.
 */
export async function openChannel0(rig: Rig): Promise<BamDmuxChannel> {
  let channel: BamDmuxChannel | undefined;
  const announced = rig.dmux.channels$.subscribe((c) => (channel ??= c));
  rig.modem.start([0]);
  rig.settle();
  announced.unsubscribe();
  if (!channel) throw new Error('the modem announced no channel');
  const open = channel.open();
  rig.settle();
  if (rig.manualTx) rig.modem.consumeTx();
  await open;
  return channel;
}

/** Lets pending Promise callbacks run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
