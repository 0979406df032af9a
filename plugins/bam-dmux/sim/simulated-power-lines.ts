import { Observable, Subject } from 'rxjs';
import type { BamDmuxPowerLines } from '../src/power-control';

/**
 * The SMSM power-control bits between host and modem, in memory. The host
 * side is {@link BamDmuxPowerLines}; the modem side reads our vote and ack
 * toggles and drives its own power state and acks.
 */
export class SimulatedPowerLines implements BamDmuxPowerLines {
  private vote = false;
  private hostAckCount = 0;
  private readonly voteSubject = new Subject<boolean>();
  private readonly powerSubject = new Subject<boolean>();
  private readonly ackSubject = new Subject<void>();

  readonly remotePower$: Observable<boolean> = this.powerSubject.asObservable();
  readonly remoteAck$: Observable<void> = this.ackSubject.asObservable();
  /** Modem side: every change of the host's vote. */
  readonly hostVote$: Observable<boolean> = this.voteSubject.asObservable();

  setVote(on: boolean): void {
    this.vote = on;
    this.voteSubject.next(on);
  }

  toggleAck(): void {
    this.hostAckCount++;
  }

  /** Modem side: the host's current vote. */
  get hostVote(): boolean {
    return this.vote;
  }

  /** Modem side: how many power-state changes the host has acknowledged. */
  get hostAcks(): number {
    return this.hostAckCount;
  }

  /** Modem side: raise or drop the modem's "pc" line. */
  setRemotePower(on: boolean): void {
    this.powerSubject.next(on);
  }

  /** Modem side: toggle the modem's "pc-ack" line. */
  ack(): void {
    this.ackSubject.next();
  }
}
