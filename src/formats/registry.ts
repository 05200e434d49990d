// The log formats a node knows (docs/log-formats.md). Adding a format is one entry here and its
// folder; the composition root passes `defaultFormats` unless a caller (a test) injects its own.
import { ConfigError } from '../util/errors.js';
import { akdFormat, AKD_FORMAT_ID } from './akd/index.js';
import { signsEpochs, type EpochLogFormat, type LogFormat } from './log-format.js';
import { tlogFormat } from './tlog/index.js';

/** The `log_format` of a namespace that names none: every config written before formats existed. */
export const DEFAULT_LOG_FORMAT = AKD_FORMAT_ID;

export class FormatRegistry {
  readonly #formats = new Map<string, LogFormat>();

  constructor(formats: readonly LogFormat[]) {
    for (const f of formats) {
      if (this.#formats.has(f.id)) throw new ConfigError('log_format', `log format "${f.id}" is registered twice`);
      this.#formats.set(f.id, f);
    }
    if (!this.#formats.has(DEFAULT_LOG_FORMAT)) {
      throw new ConfigError('log_format', `the format registry must hold the default format "${DEFAULT_LOG_FORMAT}"`);
    }
  }

  get ids(): string[] {
    return [...this.#formats.keys()];
  }

  get all(): LogFormat[] {
    return [...this.#formats.values()];
  }

  has(id: string): boolean {
    return this.#formats.has(id);
  }

  /** The format of a namespace; the config was checked against this registry, so absence is a bug. */
  get(id: string): LogFormat {
    const f = this.#formats.get(id);
    if (!f) throw new ConfigError('log_format', `unknown log format "${id}" (known: ${this.ids.join(', ')})`);
    return f;
  }

  /** The epoch-log format of a namespace the node signs; a witness-only format here is a bug (config splits them). */
  epochFormat(id: string): EpochLogFormat {
    const f = this.get(id);
    if (!signsEpochs(f)) throw new ConfigError('log_format', `log format "${id}" has no epochs to sign`);
    return f;
  }

  /** This registry plus more formats (a test's toy format). */
  with(...formats: LogFormat[]): FormatRegistry {
    return new FormatRegistry([...this.all, ...formats]);
  }
}

export const defaultFormats = new FormatRegistry([akdFormat, tlogFormat]);
