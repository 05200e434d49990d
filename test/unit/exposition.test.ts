import { describe, expect, it } from 'vitest';
import { withoutGaugeTotals } from '../../src/node/exposition.js';

const TEXT = `# HELP a_total A counter
# TYPE a_total counter
a_total{x="1"} 3
# HELP h_total Handles
# TYPE h_total gauge
h_total 4
# HELP h Handles by type
# TYPE h gauge
h{type="Socket"} 4
# HELP s_total Streams
# TYPE s_total gauge
s_total{protocol="/a"} 2
s_total{protocol="/b"} 1
`;

describe('withoutGaugeTotals', () => {
  const out = withoutGaugeTotals(TEXT);
  it('keeps counters named *_total', () => {
    expect(out).toContain('# TYPE a_total counter\na_total{x="1"} 3');
  });
  it('drops a *_total gauge whose unsuffixed family exists (it is a sum of it)', () => {
    expect(out).not.toContain('h_total');
    expect(out).toContain('h{type="Socket"} 4');
  });
  it('renames the others, in HELP, TYPE and every sample', () => {
    expect(out).not.toContain('s_total');
    expect(out).toContain('# HELP s Streams\n# TYPE s gauge\ns{protocol="/a"} 2\ns{protocol="/b"} 1\n');
  });
});
