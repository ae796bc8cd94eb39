import { Module } from '@nestjs/common';
import { JwksController } from './jwks.controller';
import { JwksService } from './jwks.service';

/** GET /webhooks/{id}/jwks: the public half of Ed25519 signing (README → Verifying Ed25519 signatures). */
@Module({ controllers: [JwksController], providers: [JwksService] })
export class JwksModule {}
