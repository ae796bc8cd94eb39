import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { RequestValidationException } from './error-body';

const ANY_QUERY = 'event-api:any-query';

/** A page (not an API route): a query string on its address is the browser's business, not refused. */
export const AcceptsAnyQuery = () => SetMetadata(ANY_QUERY, true);

/**
 * Unknown fields are a 400 in query strings as in bodies (README → API → Requests and limits). A
 * route with a query DTO has the ValidationPipe refuse what the DTO does not declare; this refuses
 * every query parameter of a route that declares none, with the pipe's words.
 */
@Injectable()
export class QueryWithoutParametersInterceptor implements NestInterceptor {
  private readonly takesQuery = new WeakMap<object, boolean>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http' && !this.routeTakesQuery(context)) {
      const keys = Object.keys(context.switchToHttp().getRequest<Request>().query ?? {});
      if (keys.length > 0) {
        throw new RequestValidationException(
          keys.map((key) => ({ field: key, message: `${key} should not exist` })),
        );
      }
    }
    return next.handle();
  }

  private routeTakesQuery(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let takes = this.takesQuery.get(handler);
    if (takes === undefined) {
      const anyQuery = Reflect.getMetadata(ANY_QUERY, handler) === true;
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as object;
      takes =
        anyQuery || Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.QUERY));
      this.takesQuery.set(handler, takes);
    }
    return takes;
  }
}
