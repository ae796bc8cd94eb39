import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, SCOPES_KEY } from './auth.decorators';
import { Principal } from './principal';
import { Scope } from './scopes';

/** Global, after JwtAuthGuard: the token must hold one of the route's scopes. */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, targets);
    if (!required || required.length === 0) {
      throw new ForbiddenException('This route declares no scope');
    }
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!principal || !required.some((scope) => principal.scopes.has(scope))) {
      throw new ForbiddenException(`Insufficient scope: requires ${required.join(' or ')}`);
    }
    return true;
  }
}
