import { BehaviorSubject, Observable, Subject, Subscription, type SchedulerLike } from 'rxjs';
import { BamDmuxPowerTimeoutError } from './errors';

/** Remote timeout of the driver (BAM_DMUX_REMOTE_TIMEOUT): 2 s per handshake stage. */
export const BAM_DMUX_REMOTE_TIMEOUT_MS = 2000;
/** Autosuspend delay of the driver (BAM_DMUX_AUTOSUSPEND_DELAY): 1 s after the last TX completes. */
export const BAM_DMUX_AUTOSUSPEND_MS = 1000;

/**
 * The two power-control signal pairs between host and modem (SMSM/smem-state
 * bits in the driver). Injected so tests and the simulator can drive them.
 */
export interface BamDmuxPowerLines {
  /** Drives our "pc" bit: our vote for A2/BAM power. */
  setVote(on: boolean): void;
  /** Toggles our "pc-ack" bit: acknowledges one modem power-state change. */
  toggleAck(): void;
  /** The modem's "pc" interrupt: its new power state, once per edge. */
  readonly remotePower$: Observable<boolean>;
  /** The modem's "pc-ack" interrupt: one emission per acknowledgement of our vote. */
  readonly remoteAck$: Observable<void>;
}

export type BamDmuxPowerState = 'suspended' | 'resuming' | 'active';

/** What the power machine tells its owner (the data plane). */
export interface BamDmuxPowerHooks {
  /** The modem powered up (true) or down (false); the RX pipe follows this, not our vote. */
  remotePower(up: boolean): void;
  /** Resume finished: deferred TX may go out now. */
  active(): void;
  /** Resume failed; the vote has been withdrawn where the driver withdraws it. */
  resumeFailed(error: BamDmuxPowerTimeoutError): void;
}

export interface BamDmuxPowerOptions {
  lines: BamDmuxPowerLines;
  scheduler: SchedulerLike;
  remoteTimeoutMs?: number;
  autosuspendMs?: number;
}

/**
 * Runtime power management of the driver, as a synchronous state machine on an
 * injected scheduler (so tests run it in virtual time):
 * - resume: wait for the ack of our previous vote, vote up, wait for its ack,
 *   wait for the modem's power-up; each stage has the 2 s remote timeout, and a
 *   timeout after our up-vote withdraws the vote;
 * - usage counting like pm_runtime get/put; the last put arms the 1 s
 *   autosuspend, which withdraws the vote;
 * - the modem's own power edges are acknowledged immediately and reported, so
 *   RX follows the modem regardless of our vote.
 */
export class BamDmuxPowerControl {
  private readonly lines: BamDmuxPowerLines;
  private readonly scheduler: SchedulerLike;
  private readonly remoteTimeoutMs: number;
  private readonly autosuspendMs: number;
  private readonly stateSubject = new BehaviorSubject<BamDmuxPowerState>('suspended');
  private readonly errorSubject = new Subject<BamDmuxPowerTimeoutError>();
  private readonly subscriptions = new Subscription();
  private usage = 0;
  private ackPending = false;
  private remoteUp = false;
  private stage: 'previous-ack' | 'vote-ack' | 'remote-up' | undefined;
  private stageTimer: Subscription | undefined;
  private autosuspendTimer: Subscription | undefined;
  private counters = { resumes: 0, suspends: 0, timeouts: 0 };

  /** Power state transitions. */
  readonly state$: Observable<BamDmuxPowerState> = this.stateSubject.asObservable();
  /** Resume failures (BAM_DMUX_POWER_TIMEOUT). */
  readonly errors$: Observable<BamDmuxPowerTimeoutError> = this.errorSubject.asObservable();

  constructor(options: BamDmuxPowerOptions, private readonly hooks: BamDmuxPowerHooks) {
    this.lines = options.lines;
    this.scheduler = options.scheduler;
    this.remoteTimeoutMs = options.remoteTimeoutMs ?? BAM_DMUX_REMOTE_TIMEOUT_MS;
    this.autosuspendMs = options.autosuspendMs ?? BAM_DMUX_AUTOSUSPEND_MS;
    this.subscriptions.add(this.lines.remotePower$.subscribe((up) => this.onRemotePower(up)));
    this.subscriptions.add(this.lines.remoteAck$.subscribe(() => this.onRemoteAck()));
  }

  get state(): BamDmuxPowerState {
    return this.stateSubject.value;
  }

  /** Whether the modem currently has the BAM powered (RX possible). */
  get remotePowered(): boolean {
    return this.remoteUp;
  }

  stats(): { resumes: number; suspends: number; timeouts: number; usage: number } {
    return { ...this.counters, usage: this.usage };
  }

  /** Takes a usage reference; returns true when already active, otherwise starts (or joins) a resume. */
  get(): boolean {
    this.usage++;
    this.cancelAutosuspend();
    const state = this.stateSubject.value;
    if (state === 'active') return true;
    if (state === 'suspended') this.startResume();
    return false;
  }

  /** Drops a usage reference; the last one arms autosuspend. */
  put(): void {
    if (this.usage > 0) this.usage--;
    if (this.usage === 0 && this.stateSubject.value === 'active') this.armAutosuspend();
  }

  dispose(): void {
    this.clearStage();
    this.cancelAutosuspend();
    this.subscriptions.unsubscribe();
    if (this.stateSubject.value !== 'suspended') this.lines.setVote(false);
    this.stateSubject.complete();
    this.errorSubject.complete();
  }

  private startResume(): void {
    this.stateSubject.next('resuming');
    if (this.ackPending) this.enterStage('previous-ack');
    else this.voteUp();
  }

  private voteUp(): void {
    this.ackPending = true;
    this.lines.setVote(true);
    this.enterStage('vote-ack');
  }

  private enterStage(stage: 'previous-ack' | 'vote-ack' | 'remote-up'): void {
    this.clearStage();
    this.stage = stage;
    this.stageTimer = this.scheduler.schedule(() => this.fail(stage), this.remoteTimeoutMs);
  }

  private clearStage(): void {
    this.stage = undefined;
    this.stageTimer?.unsubscribe();
    this.stageTimer = undefined;
  }

  private onRemoteAck(): void {
    this.ackPending = false;
    if (this.stage === 'previous-ack') this.voteUp();
    else if (this.stage === 'vote-ack') {
      if (this.remoteUp) this.becomeActive();
      else this.enterStage('remote-up');
    }
  }

  private onRemotePower(up: boolean): void {
    if (up === this.remoteUp) return;
    this.remoteUp = up;
    this.hooks.remotePower(up);
    this.lines.toggleAck();
    if (up && this.stage === 'remote-up') this.becomeActive();
    else if (!up && this.stateSubject.value === 'active') {
      // The modem went down under our vote (e.g. restart): start over on the next use.
      this.cancelAutosuspend();
      this.suspend();
    }
  }

  private becomeActive(): void {
    this.clearStage();
    this.counters.resumes++;
    this.stateSubject.next('active');
    this.hooks.active();
    if (this.usage === 0 && this.stateSubject.value === 'active') this.armAutosuspend();
  }

  private fail(stage: 'previous-ack' | 'vote-ack' | 'remote-up'): void {
    this.clearStage();
    this.counters.timeouts++;
    // The driver withdraws the vote only if it cast one in this attempt.
    if (stage !== 'previous-ack') {
      this.ackPending = true;
      this.lines.setVote(false);
    }
    this.stateSubject.next('suspended');
    const error = new BamDmuxPowerTimeoutError(stage, this.remoteTimeoutMs);
    this.hooks.resumeFailed(error);
    this.errorSubject.next(error);
  }

  private armAutosuspend(): void {
    this.cancelAutosuspend();
    this.autosuspendTimer = this.scheduler.schedule(() => {
      this.autosuspendTimer = undefined;
      if (this.usage === 0 && this.stateSubject.value === 'active') this.suspend();
    }, this.autosuspendMs);
  }

  private cancelAutosuspend(): void {
    this.autosuspendTimer?.unsubscribe();
    this.autosuspendTimer = undefined;
  }

  private suspend(): void {
    this.counters.suspends++;
    this.ackPending = true;
    this.lines.setVote(false);
    this.stateSubject.next('suspended');
  }
}
