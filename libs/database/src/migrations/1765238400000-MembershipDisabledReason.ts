import { MigrationInterface, QueryRunner } from 'typeorm';

/** `membership`: a webhook switched off because its owner's token no longer lists its organization. */
export class MembershipDisabledReason1765238400000 implements MigrationInterface {
  name = 'MembershipDisabledReason1765238400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "CHK_webhooks_disabled_reason"`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "CHK_webhooks_disabled_reason" CHECK ("disabled_reason" IN ('gone', 'failing', 'membership'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "webhooks" SET "disabled_reason" = NULL WHERE "disabled_reason" = 'membership'`,
    );
    await queryRunner.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "CHK_webhooks_disabled_reason"`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "CHK_webhooks_disabled_reason" CHECK ("disabled_reason" IN ('gone', 'failing'))`,
    );
  }
}
