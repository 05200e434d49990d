// Gossipsub's own metrics (mesh, scores, IWANT promises, …) in the node's prom-client registry.
// Gossipsub takes a small "register" of gauges, histograms and avg/min/max sets (the interface
// Lodestar implements); this is that adapter. Its *_total "gauges" only grow, so they become
// counters here (a gauge may not be called *_total: README "Metrics"); gauges named *_count lose
// the suffix (it means "histogram count") and camelCase label names become snake_case, as
// `promtool check metrics` wants.
import type { MetricsRegister } from '@libp2p/gossipsub/metrics';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Labels = Record<string, string | number>;
type AnyFn = (...args: unknown[]) => void;

interface Config {
  name: string;
  help: string;
  labelNames?: string[];
  buckets?: number[];
}

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function snakeLabels(labels: Labels): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) out[snake(k)] = v;
  return out;
}

/** Calls `(labels, value)` or `(value)` on the metric, as gossipsub passes either. */
function split(a: unknown, b: unknown): [Labels | undefined, number | undefined] {
  return typeof a === 'object' && a !== null
    ? [snakeLabels(a as Labels), b as number | undefined]
    : [undefined, a as number | undefined];
}

function gaugeName(name: string): string {
  return name.endsWith('_count') ? name.slice(0, -'_count'.length) : name;
}

function gauge(registry: Registry, cfg: Config): object {
  const collectors: ((metric: object) => void)[] = [];
  let adapter: object;
  const labelNames = (cfg.labelNames ?? []).map(snake);
  if (cfg.name.endsWith('_total')) {
    const c = new Counter({
      name: cfg.name,
      help: cfg.help,
      labelNames,
      registers: [registry],
      collect: () => collectors.forEach((f) => f(adapter)),
    });
    adapter = {
      inc: (a?: unknown, b?: unknown) => {
        const [labels, v] = split(a, b);
        if (labels) c.inc(labels, v ?? 1);
        else c.inc(v ?? 1);
      },
      set: (a: unknown, b?: unknown) => {
        const [labels, v] = split(a, b);
        if (labels) {
          c.remove(labels);
          c.inc(labels, v ?? 0);
        } else {
          c.reset();
          c.inc(v ?? 0);
        }
      },
      addCollect: (f: (metric: object) => void) => collectors.push(f),
    };
  } else {
    const g = new Gauge({
      name: gaugeName(cfg.name),
      help: cfg.help,
      labelNames,
      registers: [registry],
      collect: () => collectors.forEach((f) => f(adapter)),
    });
    adapter = {
      inc: (a?: unknown, b?: unknown) => {
        const [labels, v] = split(a, b);
        if (labels) g.inc(labels, v ?? 1);
        else g.inc(v ?? 1);
      },
      set: (a: unknown, b?: unknown) => {
        const [labels, v] = split(a, b);
        if (labels) g.set(labels, v ?? 0);
        else g.set(v ?? 0);
      },
      addCollect: (f: (metric: object) => void) => collectors.push(f),
    };
  }
  return adapter;
}

function avgMinMax(registry: Registry, cfg: Config): object {
  const labelNames = (cfg.labelNames ?? []).map(snake);
  const avg = new Gauge({ name: `${cfg.name}_avg`, help: `${cfg.help} (average)`, labelNames, registers: [registry] });
  const min = new Gauge({ name: `${cfg.name}_min`, help: `${cfg.help} (minimum)`, labelNames, registers: [registry] });
  const max = new Gauge({ name: `${cfg.name}_max`, help: `${cfg.help} (maximum)`, labelNames, registers: [registry] });
  return {
    set: (a: unknown, b?: unknown) => {
      const labels = Array.isArray(a) ? {} : snakeLabels(a as Labels);
      const values = (Array.isArray(a) ? a : b) as number[];
      if (values.length === 0) return;
      let lo = Infinity;
      let hi = -Infinity;
      let sum = 0;
      for (const v of values) {
        sum += v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      avg.set(labels, sum / values.length);
      min.set(labels, lo);
      max.set(labels, hi);
    },
  };
}

/** A gossipsub metrics register writing into `registry`. */
export function gossipsubMetricsRegister(registry: Registry): MetricsRegister {
  const register = {
    gauge: (cfg: Config) => gauge(registry, cfg),
    histogram: (cfg: Config) => {
      const h = new Histogram({
        name: cfg.name,
        help: cfg.help,
        labelNames: (cfg.labelNames ?? []).map(snake),
        ...(cfg.buckets ? { buckets: cfg.buckets } : {}),
        registers: [registry],
      });
      return {
        startTimer: () => h.startTimer(),
        observe: (a: unknown, b?: unknown) => {
          const [labels, v] = split(a, b);
          if (labels) h.observe(labels, v ?? 0);
          else h.observe(v ?? 0);
        },
        reset: () => h.reset(),
      };
    },
    avgMinMax: (cfg: Config) => avgMinMax(registry, cfg),
  };
  // The interface's generics (label types per metric) cannot be expressed by one adapter.
  return register as unknown as MetricsRegister & Record<string, AnyFn>;
}
