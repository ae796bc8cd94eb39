import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/** A statement the hot path runs thousands of times a second: parsed and planned once per connection. */
export interface PreparedStatement {
  /** Unique per statement text: PostgreSQL keeps one prepared statement per name and connection. */
  readonly name: string;
  readonly text: string;
}

export function prepared(name: string, text: string): PreparedStatement {
  return { name, text };
}

/**
 * Runs named statements straight on TypeORM's pg pool. The pipeline's statements are large CTEs
 * whose parse and plan cost more than running them on a small batch; a named statement pays that
 * once per connection. (TypeORM's `query()` cannot name a statement.) Its plans are the generic
 * ones PostgreSQL settles on after five runs, which is why they are written so that only the index
 * meant for them can serve them (see delivery-plans.e2e-spec.ts).
 */
export class PreparedStatements {
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
  }

  async query<T extends QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    const result = await this.pool.query<T>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }

  /**
   * Runs `work` in one transaction on one connection, named statements and plain text alike:
   * committed when it resolves, rolled back when it throws.
   */
  async transaction<R>(work: (tx: PreparedTransaction) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async <T extends QueryResultRow>(statement: PreparedStatement | string, values: unknown[]) => {
          const config =
            typeof statement === 'string'
              ? { text: statement, values }
              : { name: statement.name, text: statement.text, values };
          return (await client.query<T>(config)).rows;
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is not given back to the pool.
      await client.query('ROLLBACK').catch((rollback: Error) => (broken = rollback));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** The queries of one PreparedStatements.transaction. */
export interface PreparedTransaction {
  query<T extends QueryResultRow>(statement: PreparedStatement | string, values: unknown[]): Promise<T[]>;
}
