import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource, ValueTransformer } from 'typeorm';
import { SecretBox } from '@app/signing';
import { sealSecretColumns, secretColumn } from './secret-column';

type Columns = Pick<DataSource, 'entityMetadatas'>;

/** Just what sealSecretColumns reads of a DataSource: its entities' columns. */
function dataSourceWith(...transformers: Array<ValueTransformer | undefined>): Columns {
  return {
    entityMetadatas: [{ columns: transformers.map((transformer) => ({ transformer })) }],
  } as unknown as Columns;
}

function transformerOf(dataSource: Columns, index = 0): ValueTransformer {
  return dataSource.entityMetadatas[0].columns[index].transformer as ValueTransformer;
}

describe('secret columns', () => {
  it('hold no process-wide state: the keys are given to each DataSource', () => {
    const source = readFileSync(join(__dirname, 'secret-column.ts'), 'utf8');
    expect(source).not.toMatch(/^(let|var) /m);
    expect(source).not.toMatch(/^export function use/m);
  });

  it('each DataSource seals and opens with its own box', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const first = dataSourceWith(secretColumn);
    const second = dataSourceWith(secretColumn);
    sealSecretColumns(first, new SecretBox(a));
    sealSecretColumns(second, new SecretBox(b));

    const sealed = transformerOf(first).to('whsec_x') as string;
    expect(sealed).toMatch(/^enc:v1:/);
    expect(transformerOf(first).from(sealed)).toBe('whsec_x');
    expect(() => transformerOf(second).from(sealed)).toThrow(/unknown key/);
    expect(transformerOf(first).to(null)).toBeNull();
  });

  it('leaves other columns alone', () => {
    const other: ValueTransformer = { to: (value: unknown) => value, from: (value: unknown) => value };
    const dataSource = dataSourceWith(other, undefined);
    sealSecretColumns(dataSource, new SecretBox(randomBytes(32)));
    expect(transformerOf(dataSource, 0)).toBe(other);
    expect(transformerOf(dataSource, 1)).toBeUndefined();
  });

  it('a DataSource given no box refuses secrets instead of storing them in plain text', () => {
    expect(() => secretColumn.to('whsec_x')).toThrow(/sealSecretColumns/);
    expect(() => secretColumn.from('whsec_x')).toThrow(/sealSecretColumns/);
  });
});
