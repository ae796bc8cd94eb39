import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RequireScopes } from '../auth/auth.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ApiCommonErrors, ApiDatabaseBusy } from '../common/api-errors.decorator';
import { ErrorResponse } from '../common/error-response.dto';
import { ErasureReportResponse } from './dto/erasure-report.response';
import { UserDataParams } from './dto/user-data.params';
import { ErasureService } from './erasure.service';

@ApiTags('Erasure')
@ApiCommonErrors()
@ApiDatabaseBusy()
@Controller('users/:userId/data')
export class ErasureController {
  constructor(private readonly erasure: ErasureService) {}

  @Delete()
  @HttpCode(200)
  // Above RequireScopes, so this 403 (both of its causes) replaces the scope-only one it documents.
  @ApiForbiddenResponse({
    description:
      'The token lacks the scope `webhook` (a `webhook.readonly` token included), or userId is neither its `sub` nor one of its `orgs`. Whether that user exists is never looked at.',
    type: ErrorResponse,
    examples: {
      scope: {
        summary: 'Scope missing',
        value: { code: 403, message: 'Insufficient scope: requires webhook' },
      },
      other: {
        summary: 'Another user',
        value: {
          code: 403,
          message: 'userId must be your own user id or one of the organizations in your token',
        },
      },
    },
  })
  @RequireScopes(Scope.Webhook)
  @ApiOperation({
    operationId: 'eraseUserData',
    summary: "Erases a user's or organization's data",
    description:
      "For data-protection requests. In one transaction: every webhook the user created (for itself or an organization) or that delivers its events, with all their deliveries (pending ones included: they are never sent), delivery attempts, the body of every stored event whose `ownerId` or `user.id` is the user and of every other event no other webhook needs (another owner's unfinished deliveries of an erased event are dropped), lifecycle events about them not sent yet, and the user's portal sessions and links. For an organization: every webhook delivering its events, whichever member created it. An erased event's id is kept until DELIVERY_LOG_RETENTION: publishing it again delivers nothing. No event is published about it. Answers what was removed; calling it again answers zeros.",
  })
  @ApiOkResponse({ description: 'Erased; what was removed', type: ErasureReportResponse })
  @ApiBadRequestResponse({
    description: 'userId is not a valid identifier (over 255 characters, control characters)',
    type: ErrorResponse,
    example: {
      code: 400,
      message: 'userId must not contain control characters',
      errors: [{ field: 'userId', message: 'userId must not contain control characters' }],
    },
  })
  erase(
    @CurrentPrincipal() principal: Principal,
    @Param() params: UserDataParams,
  ): Promise<ErasureReportResponse> {
    return this.erasure.erase(principal, params.userId);
  }
}
