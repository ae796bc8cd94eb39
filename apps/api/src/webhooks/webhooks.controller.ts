import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ApiCommonErrors } from '../common/api-errors.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { ListWebhooksQuery } from './dto/list-webhooks.query';
import { UpdateWebhookDto } from './dto/update-webhook.dto';
import { WebhookResponse } from './dto/webhook.response';
import { presentWebhook } from './webhook.presenter';
import { WebhooksService } from './webhooks.service';

const WebhookIdParam = () =>
  ApiParam({ name: 'id', description: 'Unique webhook identifier (version 4 UUID)', format: 'uuid' });
const NotFound = () =>
  ApiNotFoundResponse({
    description: 'No webhook with this id is owned by the caller (unknown, foreign or malformed id)',
    type: ErrorResponse,
    example: { code: 404, message: 'Webhook not found' },
  });
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

@ApiTags('Webhooks')
@ApiCommonErrors()
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  private canManage(principal: Principal): boolean {
    return principal.scopes.has(Scope.Webhook);
  }

  @Get()
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({
    summary: 'Gets all webhooks of the authenticated user',
    description: 'Newest first; the filters combine with AND.',
  })
  @ApiOkResponse({ type: [WebhookResponse] })
  @Invalid()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListWebhooksQuery,
  ): Promise<WebhookResponse[]> {
    const webhooks = await this.webhooks.list(principal, query);
    return webhooks.map((webhook) => presentWebhook(webhook, this.canManage(principal)));
  }

  @Post()
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    summary: 'Creates a webhook',
    description:
      'A user may own at most WEBHOOK_LIMIT_PER_USER (30) webhooks. The response carries the signing `secret`. Read-only fields in the body are ignored.',
  })
  @ApiCreatedResponse({ type: WebhookResponse })
  @Invalid()
  @ApiConflictResponse({
    description: 'The caller already owns the maximum number of webhooks',
    type: ErrorResponse,
    example: { code: 409, message: 'Webhook limit reached: a user may own at most 30 webhooks' },
  })
  @ApiNotFoundResponse({ description: 'The Core-API does not know the apiId', type: ErrorResponse })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateWebhookDto,
  ): Promise<WebhookResponse> {
    return presentWebhook(await this.webhooks.create(principal, dto), true);
  }

  @Get(':id')
  @RequireScopes(Scope.Webhook, Scope.WebhookReadonly)
  @ApiOperation({ summary: 'Gets a webhook' })
  @WebhookIdParam()
  @ApiOkResponse({ type: WebhookResponse })
  @NotFound()
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<WebhookResponse> {
    return presentWebhook(await this.webhooks.get(principal, id), this.canManage(principal));
  }

  @Put(':id')
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    summary: 'Updates a webhook',
    description:
      'Updates the writable fields present (url, events, active, custom, apiId, userId); `null` clears custom and apiId. Read-only fields (a GET response sent back) are ignored; unknown fields are a 400. Setting active back to true clears the failure streak and disabledReason.',
  })
  @WebhookIdParam()
  @ApiOkResponse({ type: WebhookResponse })
  @Invalid()
  @NotFound()
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateWebhookDto,
  ): Promise<WebhookResponse> {
    return presentWebhook(await this.webhooks.update(principal, id, dto), true);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes(Scope.Webhook)
  @ApiOperation({ summary: 'Deletes a webhook' })
  @WebhookIdParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @NotFound()
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.webhooks.remove(principal, id);
  }
}
