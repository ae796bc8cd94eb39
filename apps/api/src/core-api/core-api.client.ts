import { ForbiddenException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { request } from 'undici';
import { AppConfig } from '@app/config';

const CORE_API_TIMEOUT_MS = 5_000;

/**
 * Asks the Core-API whether the caller may see an API (SPEC §4): with CORE_API_URL set,
 * `GET {CORE_API_URL}/apis/{apiId}` with the caller's token: 2xx allowed, 404 → 404, else 403.
 * Without CORE_API_URL every apiId is accepted.
 */
@Injectable()
export class CoreApiClient {
  private readonly logger = new Logger(CoreApiClient.name);

  constructor(private readonly config: AppConfig) {}

  async assertApiAccessible(apiId: string, token: string): Promise<void> {
    if (!this.config.coreApiUrl) return;
    let status: number;
    try {
      const response = await request(`${this.config.coreApiUrl}/apis/${encodeURIComponent(apiId)}`, {
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        headersTimeout: CORE_API_TIMEOUT_MS,
        bodyTimeout: CORE_API_TIMEOUT_MS,
      });
      status = response.statusCode;
      await response.body.dump();
    } catch (error) {
      this.logger.warn(`Core-API check for API ${apiId} failed: ${(error as Error).message}`);
      throw new ForbiddenException('Access to the API could not be verified');
    }
    if (status >= 200 && status < 300) return;
    if (status === 404) throw new NotFoundException(`API ${apiId} not found`);
    throw new ForbiddenException(`You are not allowed to access API ${apiId}`);
  }
}
