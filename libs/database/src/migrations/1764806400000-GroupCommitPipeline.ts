import { MigrationInterface, QueryRunner } from 'typeorm';

export class GroupCommitPipeline1764806400000 implements MigrationInterface {
  name = 'GroupCommitPipeline1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // What an event id stood for, so a re-used id with other content is refused (README → Publishing events).
    await queryRunner.query(`ALTER TABLE "events" ADD "fingerprint" text`);
    // Room on each page for the claim's new row version: an update that changes no indexed column
    // then stays on its page (HOT) and writes no index entries.
    await queryRunner.query(`ALTER TABLE "deliveries" SET (fillfactor = 70)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "deliveries" RESET (fillfactor)`);
    await queryRunner.query(`ALTER TABLE "events" DROP COLUMN "fingerprint"`);
  }
}
