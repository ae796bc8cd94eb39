import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * webhooks.signing and the public keys of Ed25519 signing keys (README → Verifying Ed25519 signatures):
 * the private keys live in `secret` / `previous_secret`, sealed like HMAC secrets.
 */
export class Ed25519Signing1765670400000 implements MigrationInterface {
  name = 'Ed25519Signing1765670400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "signing" text NOT NULL DEFAULT 'hmac-sha256'`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "public_key" text`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "previous_public_key" text`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "CHK_webhooks_signing" CHECK ("signing" IN ('hmac-sha256', 'ed25519'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "CHK_webhooks_signing"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "previous_public_key"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "public_key"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "signing"`);
  }
}
