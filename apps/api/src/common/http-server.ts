import { ExpressAdapter } from '@nestjs/platform-express';
import { createHardenedServer, SERVER_LIMITS, ServerLimits } from '@app/http';

/**
 * Nest's Express adapter on the product's hardened HTTP server (`createHardenedServer`, README →
 * Security): some of its limits (the check interval, the header size) can only be given when the
 * server is created. The API reads request bodies itself (common/body-parsing).
 */
export class HardenedExpressAdapter extends ExpressAdapter {
  constructor(private readonly limits: ServerLimits = SERVER_LIMITS) {
    super();
  }

  override initHttpServer(): void {
    this.httpServer = createHardenedServer(this.getInstance(), { limits: this.limits, readsBodies: true });
  }
}
