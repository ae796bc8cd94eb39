import { Controller, Get, Header, Param } from '@nestjs/common';
import {
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { ApiDatabaseBusy } from '../common/api-errors.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { WebhookIdParam } from '../webhooks/webhook-api.decorators';
import { JwksResponse } from './jwks.response';
import { JwksService, NO_KEYS_MESSAGE } from './jwks.service';

/** Long enough for receivers and proxies to absorb repeated fetches; far shorter than a rotation's overlap. */
export const JWKS_MAX_AGE_SECONDS = 300;

@ApiTags('Webhooks')
@Controller('webhooks')
export class JwksController {
  constructor(private readonly jwks: JwksService) {}

  @Get(':id/jwks')
  @Public()
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  @ApiOperation({
    operationId: 'getWebhookJwks',
    summary: 'Gets the public keys that sign the deliveries of a webhook (JWKS)',
    description: `Public (no token): receivers verify \`v1a,\` signatures (\`signing: ed25519\`) with these keys and hold no shared secret. Newest first; after POST /webhooks/{id}/secret the previous key stays listed (and keeps signing) for SECRET_ROTATION_OVERLAP. Cacheable for ${JWKS_MAX_AGE_SECONDS} s. Webhooks signed with HMAC have no public keys: 404, as for an unknown id.`,
  })
  @WebhookIdParam()
  @ApiOkResponse({
    type: JwksResponse,
    example: {
      keys: [
        {
          kty: 'OKP',
          crv: 'Ed25519',
          x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
          kid: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
          use: 'sig',
          alg: 'EdDSA',
        },
      ],
    },
  })
  @ApiNotFoundResponse({
    description: 'No webhook with this id, or one whose deliveries are not signed with Ed25519',
    type: ErrorResponse,
    example: { code: 404, message: NO_KEYS_MESSAGE },
  })
  @ApiDatabaseBusy()
  @ApiInternalServerErrorResponse({
    description: 'Unexpected error (never with internals)',
    type: ErrorResponse,
    example: { code: 500, message: 'Internal server error' },
  })
  async get(@Param('id') id: string): Promise<JwksResponse> {
    return { keys: await this.jwks.keys(id) };
  }
}
