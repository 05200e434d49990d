// Shutdown in reverse order of creation: each part registers how to close it right after it is
// created, so what was built last (the HTTP API) closes first and the database last
// (docs/design-decisions.md "Composition root").
import { errorMessage } from '../util/errors.js';

export interface CloseStep {
  name: string;
  close: () => void | Promise<void>;
}

export class CloserStack {
  readonly #steps: CloseStep[] = [];
  #closed = false;

  /** Registers the step that undoes what was just created. */
  push(name: string, close: () => void | Promise<void>): void {
    if (this.#closed) throw new Error(`CloserStack: "${name}" registered after close`);
    this.#steps.push({ name, close });
  }

  /** The step names in the order they will run. */
  order(): string[] {
    return this.#steps.map((s) => s.name).reverse();
  }

  /**
   * Runs every step, newest first, once. A failing step does not stop the others (the database
   * must still close); the first failure is rethrown after all ran, naming its step.
   */
  async closeAll(onError?: (name: string, err: unknown) => void): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let first: { name: string; err: unknown } | undefined;
    while (this.#steps.length) {
      const step = this.#steps.pop() as CloseStep;
      try {
        await step.close();
      } catch (err) {
        onError?.(step.name, err);
        first ??= { name: step.name, err };
      }
    }
    if (first) throw new Error(`closing ${first.name} failed: ${errorMessage(first.err)}`, { cause: first.err });
  }
}
