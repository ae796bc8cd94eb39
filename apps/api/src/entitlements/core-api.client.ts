import {
  ForbiddenException,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationBootstrap,
  ServiceUnavailableException,
} from '@nestjs/common';
import { request } from 'undici';
import { AppConfig } from '@app/config';

/** No answer within this is the Core-API being unavailable (503). */
const CORE_API_TIMEOUT_MS = 2_000;

/**
 * Asks the Core-API whether the caller may see an API (README → Entitlements): with CORE_API_URL set,
 * `GET {CORE_API_URL}/apis/{apiId}` with the caller's token: 2xx allowed, 404 → 404, 401/403 (and
 * any other 4xx) → 403; no answer within 2 s, a connection error or a 5xx → 503, since the check
 * could not be made (the caller may retry). Without CORE_API_URL, `apiIdCheck` decides: every apiId
 * accepted (`unchecked`) or none (`refused`, 403).
 */
@Injectable()
export class CoreApiClient implements OnApplicationBootstrap {
  private readonly logger = new Logger('Entitlements');

  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    const lines = {
      'core-api': `apiId webhooks: access checked with the Core-API at ${this.config.coreApiUrl}`,
      unchecked:
        'apiId webhooks: NOT checked (no CORE_API_URL; ALLOW_UNCHECKED_API_IDS): anyone with a token may subscribe to any API by its id',
      refused:
        'apiId webhooks: refused with 403 (no CORE_API_URL in production; set CORE_API_URL, or ALLOW_UNCHECKED_API_IDS=true to accept them unchecked)',
    };
    const line = lines[this.config.apiIdCheck];
    // Unchecked is the development default (info, or debug when a development launcher has said so
    // in its own line: README → Quick start); chosen in production it is worth a warning.
    if (this.config.apiIdCheck === 'unchecked' && this.config.production) this.logger.warn(line);
    else if (this.config.apiIdCheck === 'unchecked' && this.config.developmentLaunch.includes('apiId')) {
      this.logger.debug(line);
    } else this.logger.log(line);
  }

  async assertApiAccessible(apiId: string, token: string): Promise<void> {
    if (this.config.apiIdCheck === 'refused') {
      throw new ForbiddenException(
        'apiId webhooks are not available: this deployment cannot check access to APIs (no Core-API)',
      );
    }
    if (!this.config.coreApiUrl) return;
    let status: number;
    try {
      const response = await request(`${this.config.coreApiUrl}/apis/${encodeURIComponent(apiId)}`, {
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(CORE_API_TIMEOUT_MS),
      });
      status = response.statusCode;
      await response.body.dump();
    } catch (error) {
      this.logger.warn(`Core-API check for API ${apiId} failed: ${(error as Error).message}`);
      throw new ServiceUnavailableException(
        'The Core-API did not answer; access to the API could not be verified',
      );
    }
    if (status >= 200 && status < 300) return;
    if (status === 404) throw new NotFoundException(`API ${apiId} not found`);
    if (status >= 500) {
      this.logger.warn(`Core-API check for API ${apiId} answered ${status}`);
      throw new ServiceUnavailableException(
        `The Core-API answered ${status}; access to the API could not be verified`,
      );
    }
    throw new ForbiddenException(`You are not allowed to access API ${apiId}`);
  }
}
