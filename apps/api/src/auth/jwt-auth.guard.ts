import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { IS_PUBLIC_KEY } from './auth.decorators';
import { logRefusal } from './token-refusal';

/** Global: every route needs a valid bearer token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    // Requests with a body were authenticated before it was read (authenticateBeforeBody).
    if (context.switchToHttp().getRequest<{ user?: unknown }>().user !== undefined) return true;
    return super.canActivate(context);
  }

  // Whatever went wrong with the token, the caller learns only "Access denied".
  override handleRequest<T>(error: unknown, user: T | false, info: unknown, context: ExecutionContext): T {
    if (error || !user) {
      const http = context.switchToHttp();
      logRefusal(http.getRequest<Request>(), http.getResponse<Response>(), error, info);
      throw new UnauthorizedException();
    }
    return user;
  }
}
