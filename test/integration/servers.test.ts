import { Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { indexedValueType } from '../../scripts/temporal';
import { greenlaneSearchAttributes } from '../../workflows/search-attributes';

describe('integration servers from the global setup', () => {
  it('PostgreSQL answers select 1 on the provided URL', async () => {
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('select 1 as one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  describe('Temporal dev server', () => {
    let connection: Connection;
    beforeAll(async () => {
      connection = await Connection.connect({ address: inject('temporalAddress') });
    });
    afterAll(async () => {
      await connection?.close();
    });

    it('has the namespace default', async () => {
      const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespaceInfo?.name).toBe('default');
    });

    it('has every Greenlane search attribute, with its type', async () => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace: 'default',
      });
      const expected = Object.fromEntries(
        Object.entries(greenlaneSearchAttributes).map(([name, type]) => [name, indexedValueType(type)]),
      );
      const registered = Object.fromEntries(
        Object.keys(expected).map((name) => [name, customAttributes?.[name]]),
      );
      expect(Object.keys(expected).length).toBeGreaterThan(0);
      expect(registered).toEqual(expected);
    });
  });
});
