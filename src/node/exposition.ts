// A rule on the Prometheus text exposition: a gauge may not be named *_total (`promtool check
// metrics`; the suffix means "counter" to Prometheus and to rate()). prom-client's default
// metrics and @libp2p/prometheus-metrics export a few such gauges, which we do not define: each
// is renamed without the suffix, or dropped when a family of that name already exists (then it is
// a sum of that family, e.g. nodejs_active_handles_total of nodejs_active_handles{type}).

interface Family {
  name: string;
  type: string | undefined;
  lines: string[];
}

function familyName(line: string): string | undefined {
  const m = /^# (?:HELP|TYPE) (\S+)/.exec(line);
  return m?.[1];
}

function splitFamilies(text: string): Family[] {
  const families: Family[] = [];
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const name = familyName(line);
    if (name !== undefined && name !== current?.name) {
      current = { name, type: undefined, lines: [] };
      families.push(current);
    }
    if (!current) {
      current = { name: '', type: undefined, lines: [] };
      families.push(current);
    }
    const type = /^# TYPE \S+ (\S+)/.exec(line)?.[1];
    if (type) current.type = type;
    current.lines.push(line);
  }
  return families;
}

/** The exposition with every gauge named *_total renamed or dropped (see the top of this file). */
export function withoutGaugeTotals(text: string): string {
  const families = splitFamilies(text);
  const names = new Set(families.map((f) => f.name));
  const out: string[] = [];
  for (const f of families) {
    if (f.type !== 'gauge' || !f.name.endsWith('_total')) {
      out.push(...f.lines);
      continue;
    }
    const renamed = f.name.slice(0, -'_total'.length);
    if (names.has(renamed)) continue;
    names.add(renamed);
    for (const line of f.lines) {
      if (line.startsWith('# ')) out.push(line.replace(` ${f.name} `, ` ${renamed} `));
      else out.push(line.startsWith(f.name) ? renamed + line.slice(f.name.length) : line);
    }
  }
  return `${out.join('\n')}\n`;
}
