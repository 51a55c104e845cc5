/** LIST pages kept per kind and query for as long as the kind's change-stream version stands. */
import { describe, expect, it } from 'vitest';
import { createListPages, type ListPageQuery } from '../../services/api/list-pages';

function counted(text: string) {
  let builds = 0;
  return {
    build: async () => {
      builds += 1;
      return Buffer.from(`${text}#${builds}`);
    },
    builds: () => builds,
  };
}

const everything: ListPageQuery = { namespace: 'default' };

describe('list pages', () => {
  it('builds a page once while its version stands, and again once the version moves', async () => {
    const pages = createListPages({ maxBytes: 1024 });
    const page = counted('page');
    expect((await pages.page('ClusterDeployment', everything, '1-0', page.build)).toString()).toBe('page#1');
    expect((await pages.page('ClusterDeployment', everything, '1-0', page.build)).toString()).toBe('page#1');
    expect(page.builds()).toBe(1);
    expect((await pages.page('ClusterDeployment', everything, '2-0', page.build)).toString()).toBe('page#2');
    expect((await pages.page('ClusterDeployment', everything, '2-0', page.build)).toString()).toBe('page#2');
    expect(page.builds()).toBe(2);
  });

  it('keeps each kind, namespace, selector, limit and continue token apart', async () => {
    const pages = createListPages({ maxBytes: 1024 });
    const queries: [string, ListPageQuery][] = [
      ['ClusterDeployment', everything],
      ['MachineDeployment', everything],
      ['ClusterDeployment', { namespace: 'other' }],
      ['ClusterDeployment', { namespace: 'default', labelSelector: 'team=blue' }],
      ['ClusterDeployment', { namespace: 'default', fieldSelector: 'metadata.name=a' }],
      ['ClusterDeployment', { namespace: 'default', limit: 500 }],
      ['ClusterDeployment', { namespace: 'default', limit: 500, continue: 'token' }],
    ];
    for (const [index, [kind, query]] of queries.entries()) {
      expect((await pages.page(kind, query, '1-0', async () => Buffer.from(String(index)))).toString()).toBe(String(index));
    }
    for (const [index, [kind, query]] of queries.entries()) {
      expect((await pages.page(kind, query, '1-0', async () => Buffer.from('rebuilt'))).toString()).toBe(String(index));
    }
  });

  it('keeps no more than its bytes, the least recently used going first, and never a page larger than all of them', async () => {
    const pages = createListPages({ maxBytes: 10 });
    const fourBytes = (name: string) => ({ namespace: name });
    await pages.page('K', fourBytes('a'), '1-0', async () => Buffer.from('aaaa'));
    await pages.page('K', fourBytes('b'), '1-0', async () => Buffer.from('bbbb'));
    await pages.page('K', fourBytes('a'), '1-0', async () => Buffer.from('AAAA'));
    await pages.page('K', fourBytes('c'), '1-0', async () => Buffer.from('cccc'));
    expect((await pages.page('K', fourBytes('a'), '1-0', async () => Buffer.from('rebuilt'))).toString()).toBe('aaaa');
    expect((await pages.page('K', fourBytes('b'), '1-0', async () => Buffer.from('rebuilt'))).toString()).toBe('rebuilt');
    const large = counted('x'.repeat(20));
    await pages.page('K', fourBytes('large'), '1-0', large.build);
    await pages.page('K', fourBytes('large'), '1-0', large.build);
    expect(large.builds()).toBe(2);
  });
});
