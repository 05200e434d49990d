// Shutdown runs the close steps in reverse order of creation, all of them even when one fails;
// the node registers its parts in the order buildServices creates them.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CloserStack } from '../../src/node/closers.js';
import { ChorusNode } from '../../src/node/node.js';
import { initDataDir } from '../../src/operator/init.js';
import { loadConfig } from '../../src/config/config.js';
import { tempDir } from '../support/tmp.js';

describe('CloserStack', () => {
  it('closes in reverse order of registration', async () => {
    const ran: string[] = [];
    const stack = new CloserStack();
    for (const name of ['database', 'journal', 'network', 'http']) stack.push(name, async () => void ran.push(name));
    expect(stack.order()).toEqual(['http', 'network', 'journal', 'database']);
    await stack.closeAll();
    expect(ran).toEqual(['http', 'network', 'journal', 'database']);
    await stack.closeAll(); // a second close runs nothing
    expect(ran).toHaveLength(4);
    expect(() => stack.push('late', () => undefined)).toThrow(/after close/);
  });

  it('runs every step when one fails, then reports the first failure', async () => {
    const ran: string[] = [];
    const failed: string[] = [];
    const stack = new CloserStack();
    stack.push('database', () => void ran.push('database'));
    stack.push('pool', () => {
      throw new Error('worker stuck');
    });
    stack.push('http', () => void ran.push('http'));
    await expect(stack.closeAll((name) => failed.push(name))).rejects.toThrow('closing pool failed: worker stuck');
    expect(ran).toEqual(['http', 'database']);
    expect(failed).toEqual(['pool']);
  });
});

describe('ChorusNode shutdown order', () => {
  it('closes the HTTP API first and the database last, the reverse of creation', async () => {
    const tmp = tempDir();
    try {
      const init = await initDataDir({ dataDir: tmp.dir, namespaces: ['log.example'], httpPort: 0 });
      const node = await ChorusNode.create(loadConfig(init.config), { logger: pino({ level: 'silent' }) });
      expect(node.services.closers.order()).toEqual(['http api', 'network service', 'signing journal', 'database']);
      await node.listen();
      expect(node.services.closers.order()).toEqual([
        'liveness timer',
        'http api',
        'network service',
        'signing journal',
        'database',
      ]);
      await node.close();
      expect(node.services.db.status).toBe('closed');
      expect(node.services.closers.order()).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});
