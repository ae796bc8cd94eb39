import { MigrationInterface, QueryRunner } from 'typeorm';

/** The portal's one-time links and browser sessions (README → Portal); both keep only hashes of their tokens. */
export class PortalSessions1765929600000 implements MigrationInterface {
  name = 'PortalSessions1765929600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "portal_links" ("token_hash" text NOT NULL, "user_id" text NOT NULL, "nickname" text,
        "orgs" text array NOT NULL, "scopes" text array NOT NULL, "access_token" text NOT NULL,
        "token_expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_portal_links" PRIMARY KEY ("token_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_portal_links_expires" ON "portal_links" ("expires_at")`);
    await queryRunner.query(
      `CREATE TABLE "portal_sessions" ("id_hash" text NOT NULL, "csrf_token" text NOT NULL, "user_id" text NOT NULL,
        "nickname" text, "orgs" text array NOT NULL, "scopes" text array NOT NULL, "access_token" text NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_portal_sessions" PRIMARY KEY ("id_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_portal_sessions_expires" ON "portal_sessions" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "portal_sessions"`);
    await queryRunner.query(`DROP TABLE "portal_links"`);
  }
}
