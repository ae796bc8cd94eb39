import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ViaPortal } from '../portal/portal.decorators';
import {
  ApiBodyErrors,
  ApiCommonErrors,
  ApiDatabaseBusy,
  DATABASE_BUSY,
} from '../common/api-errors.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { ListWebhooksQuery } from './dto/list-webhooks.query';
import { UpdateWebhookDto } from './dto/update-webhook.dto';
import { QueuedDeliveryResponse, RotatedSecretResponse } from './dto/webhook-actions.response';
import { WebhookResponse } from './dto/webhook.response';
import { WebhookActionsService } from './webhook-actions.service';
import { WebhookIdParam, WebhookInactive, WebhookNotFound } from './webhook-api.decorators';
import { presentWebhook } from './webhook.presenter';
import { WebhooksService } from './webhooks.service';

const Invalid = () =>
  ApiBadRequestResponse({
    description: 'Validation failed (malformed JSON, unknown field, bad value); `errors` names the fields',
    type: ErrorResponse,
    example: {
      code: 400,
      message: 'url must be an absolute http or https URL',
      errors: [{ field: 'url', message: 'url must be an absolute http or https URL' }],
    },
  });

/** With CORE_API_URL set, the apiId check (README → Entitlements). */
const CoreApiUnavailable = () =>
  ApiServiceUnavailableResponse({
    description: `The Core-API gave no answer within 2 s, could not be reached, or answered 5xx. Or: ${DATABASE_BUSY}`,
    type: ErrorResponse,
    example: { code: 503, message: 'The Core-API did not answer; access to the API could not be verified' },
  });

/** Examples Swagger UI's "Try it out" sends as they are: each one succeeds for any caller. */
const CREATE_EXAMPLE = {
  url: 'https://hooks.slack.com/services/123456',
  events: [{ name: 'api.created' }, { name: 'release.released' }],
  custom: '{"team":"platform"}',
};
const UPDATE_EXAMPLE = { active: false, custom: '{"team":"platform"}' };
/** Payload filters (README → Payload filters): only public APIs' events. */
const FILTERED_EXAMPLE = {
  url: 'https://hooks.slack.com/services/123456',
  events: [{ name: 'api.created' }, { name: 'api.updated' }],
  filter: { resource: { visibility: 'public' } },
};

@ApiTags('Webhooks')
@ApiExtraModels(CreateWebhookDto, UpdateWebhookDto)
@ApiCommonErrors()
@ApiDatabaseBusy()
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly actions: WebhookActionsService,
  ) {}

  private canManage(principal: Principal): boolean {
    return principal.scopes.has(Scope.Webhook);
  }

  @Get()
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    operationId: 'listWebhooks',
    summary: 'Gets all webhooks of the authenticated user',
    description: 'Newest first; the filters combine with AND.',
  })
  @ApiOkResponse({ type: [WebhookResponse] })
  @Invalid()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListWebhooksQuery,
    @ViaPortal() viaPortal: boolean,
  ): Promise<WebhookResponse[]> {
    const webhooks = await this.webhooks.list(principal, query);
    const canManage = this.canManage(principal);
    return webhooks.map((webhook) =>
      presentWebhook(webhook, canManage, { withSecret: canManage && !viaPortal }),
    );
  }

  @Post()
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    operationId: 'createWebhook',
    summary: 'Creates a webhook',
    description:
      'A user may own at most WEBHOOK_LIMIT_PER_USER (30) webhooks. The response carries the signing `secret`. Read-only fields in the body are ignored.',
  })
  @ApiBody({
    schema: { $ref: getSchemaPath(CreateWebhookDto) },
    examples: {
      slack: { summary: 'Notify a Slack channel', value: CREATE_EXAMPLE },
      filtered: { summary: 'Only events whose resource is public (payload filter)', value: FILTERED_EXAMPLE },
    },
  })
  @ApiCreatedResponse({ type: WebhookResponse })
  @Invalid()
  @ApiBodyErrors()
  @ApiConflictResponse({
    description: 'The caller already owns the maximum number of webhooks',
    type: ErrorResponse,
    example: { code: 409, message: 'Webhook limit reached: a user may own at most 30 webhooks' },
  })
  @ApiNotFoundResponse({
    description: 'With CORE_API_URL set: the Core-API does not know the apiId',
    type: ErrorResponse,
    example: { code: 404, message: 'API 5e2f3c8a-1b4d-4e6f-9a7b-2c3d4e5f6a7b not found' },
  })
  @CoreApiUnavailable()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateWebhookDto,
  ): Promise<WebhookResponse> {
    return presentWebhook(await this.webhooks.create(principal, dto), true);
  }

  @Get(':id')
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({ operationId: 'getWebhook', summary: 'Gets a webhook' })
  @WebhookIdParam()
  @ApiOkResponse({ type: WebhookResponse })
  @WebhookNotFound()
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @ViaPortal() viaPortal: boolean,
  ): Promise<WebhookResponse> {
    const canManage = this.canManage(principal);
    return presentWebhook(await this.webhooks.get(principal, id), canManage, {
      withSecret: canManage && !viaPortal,
    });
  }

  @Put(':id')
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    operationId: 'updateWebhook',
    summary: 'Updates a webhook',
    description:
      'Updates the writable fields present (url, events, active, custom, apiId, userId, rateLimit, headers, filter); `null` clears custom, apiId, rateLimit, headers and filter. Read-only fields (a GET response sent back) are ignored; unknown fields are a 400. Setting active back to true clears the failure streak and disabledReason.',
  })
  @WebhookIdParam()
  @ApiBody({
    schema: { $ref: getSchemaPath(UpdateWebhookDto) },
    examples: { pause: { summary: 'Pause deliveries and tag the webhook', value: UPDATE_EXAMPLE } },
  })
  @ApiOkResponse({ type: WebhookResponse })
  @Invalid()
  @ApiBodyErrors()
  @WebhookNotFound()
  @CoreApiUnavailable()
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateWebhookDto,
    @ViaPortal() viaPortal: boolean,
  ): Promise<WebhookResponse> {
    const { webhook, rotated } = await this.webhooks.update(principal, id, dto);
    // Through the portal, only a switch of `signing` (a rotation into the new kind) shows the secret.
    return presentWebhook(webhook, true, { withSecret: !viaPortal || rotated });
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes(Scope.Webhook)
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Deletes a webhook' })
  @WebhookIdParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @WebhookNotFound()
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.webhooks.remove(principal, id);
  }

  @Post(':id/ping')
  @HttpCode(202)
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    operationId: 'pingWebhook',
    summary: 'Pings a webhook',
    description:
      "Sends a `webhook.ping` event to this webhook alone, whatever it subscribes to: signed, retried and recorded like any delivery (see GET /webhooks/{id}/deliveries). The event's `resource` is the webhook without its secret, its URL masked as for webhook.readonly. Answers once the delivery is stored; it is sent asynchronously.",
  })
  @WebhookIdParam()
  @ApiAcceptedResponse({ description: 'The ping is queued for delivery', type: QueuedDeliveryResponse })
  @WebhookNotFound()
  @WebhookInactive('ping')
  async ping(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<QueuedDeliveryResponse> {
    return this.actions.ping(principal, id);
  }

  @Post(':id/secret')
  @HttpCode(200)
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    operationId: 'rotateSecret',
    summary: 'Rotates the signing secret of a webhook',
    description:
      'Generates a new secret and returns it. For SECRET_ROTATION_OVERLAP (24h by default) deliveries carry signatures with both the new and the previous secret (space-separated in `webhook-signature`), so the receiver can switch at its own pace; rotating again within that time retires the older secret at once. GET responses show only the current secret. With `signing: ed25519` a new key pair instead: its public key is returned (`whpk_`), and both public keys are listed by GET /webhooks/{id}/jwks while both sign.',
  })
  @WebhookIdParam()
  @ApiOkResponse({ description: 'The new secret', type: RotatedSecretResponse })
  @WebhookNotFound()
  async rotateSecret(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<RotatedSecretResponse> {
    return { secret: await this.actions.rotateSecret(principal, id) };
  }
}
