import { inject, injectable, type interfaces } from 'inversify';
import { Subject, type Subscription } from 'rxjs';
import type { PluginContext, PluginLifecycle } from '../../../src/sdk';
import type { WlfwChipParams, WlfwFamily } from './chip-params';
import { WlfwLoader } from './wlfw-loader';

/** DI token of a WLFW plugin's lifecycle, to reach its loader (status views). */
export const WLFW_LOADER_LIFECYCLE: interfaces.ServiceIdentifier<WlfwLoaderLifecycle> = Symbol.for('qrtrd.WlfwLoaderLifecycle');
/** DI token: the family a WLFW plugin loads (`ath11k`). */
export const WLFW_FAMILY: interfaces.ServiceIdentifier<WlfwFamily> = Symbol.for('qrtrd.WlfwFamily');
/** DI token: the chip table of the family. */
export const WLFW_CHIPS: interfaces.ServiceIdentifier<readonly WlfwChipParams[]> = Symbol.for('qrtrd.WlfwChips');

/** The lifecycle of a WLFW plugin: one loader per start. */
@injectable()
export class WlfwLoaderLifecycle implements PluginLifecycle {
  private current: WlfwLoader | undefined;
  private relay: Subscription | undefined;
  private readonly changes = new Subject<void>();
  /** Emits whenever a card of the running loader changes (across restarts). */
  readonly changed$ = this.changes.asObservable();

  constructor(
    @inject(WLFW_FAMILY) private readonly family: WlfwFamily,
    @inject(WLFW_CHIPS) private readonly chips: readonly WlfwChipParams[],
  ) {}

  /** The running loader, if started. */
  get loader(): WlfwLoader | undefined {
    return this.current;
  }

  async start(context: PluginContext): Promise<void> {
    if (this.current) return;
    const loader = new WlfwLoader(this.family, this.chips, context);
    this.current = loader;
    this.relay = loader.cards$.subscribe(() => this.changes.next());
    try {
      await loader.start();
    } catch (err) {
      this.current = undefined;
      await loader.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const loader = this.current;
    this.current = undefined;
    await loader?.stop();
    this.relay?.unsubscribe();
    this.changes.next();
  }
}
