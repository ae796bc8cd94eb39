import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** The authenticated caller, from the verified access token. */
export interface Principal {
  /** `sub` claim: the user id. */
  readonly id: string;
  readonly nickname: string | null;
  readonly scopes: ReadonlySet<string>;
  /** Organization ids the user belongs to (`orgs` claim). */
  readonly orgs: readonly string[];
  /** The raw bearer token, forwarded to the Core-API; never logged. */
  readonly token: string;
}

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<Request & { user: Principal }>().user,
);
