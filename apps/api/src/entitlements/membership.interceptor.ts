import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Principal } from '../auth/principal';
import { LostMemberships } from './lost-membership';

/** Every authenticated request first lets LostMemberships act on what its token says. */
@Injectable()
export class MembershipInterceptor implements NestInterceptor {
  constructor(private readonly lostMemberships: LostMemberships) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (principal) await this.lostMemberships.revoke(principal);
    return next.handle();
  }
}
