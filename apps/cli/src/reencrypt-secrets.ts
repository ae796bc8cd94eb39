/**
 * npm run secrets:reencrypt — stores every webhook secret under the current SECRETS_ENCRYPTION_KEY:
 * plain-text rows get sealed, rows sealed with a key listed in SECRETS_DECRYPTION_KEYS get sealed
 * again with the current one. Safe to run while API and workers are up (rows are locked one batch
 * at a time) and to run again.
 */
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '@app/config';
import { buildDataSourceOptions, resealSecrets } from '@app/database';
import { SecretBox } from '@app/signing';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.secretsEncryptionKey) {
    process.stderr.write('SECRETS_ENCRYPTION_KEY is not set: nothing to encrypt with\n');
    process.exit(2);
  }
  const box = new SecretBox(config.secretsEncryptionKey, config.secretsDecryptionKeys);
  const dataSource = new DataSource(
    buildDataSourceOptions({
      databaseUrl: config.databaseUrl,
      poolSize: 2,
      applicationName: 'event-api-reencrypt',
    }),
  );
  await dataSource.initialize();
  try {
    const rewritten = await dataSource.transaction((manager) => resealSecrets(manager, box));
    process.stdout.write(`${JSON.stringify({ rewritten })}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`secrets:reencrypt failed: ${(error as Error).message}\n`);
  process.exit(1);
});
