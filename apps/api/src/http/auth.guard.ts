import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@ipt/course';
import { InvalidTokenError, type Caller, type TokenVerifier } from '@ipt/auth';
import { Forbidden, Unauthenticated } from '../application/errors';

/** The sign-in mode's verifier (HS256 or the identity provider's JWKS), see app.module. */
export const TOKEN_VERIFIER = Symbol('TokenVerifier');
const ROLES_KEY = 'ipt:roles';

/** The roles that may use a route; a route without it is public (health, docs). */
export const AllowRoles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** Who made a request, as the access log records it (set once the token is verified). */
export interface RequestActor {
  id: string;
  role: string;
}

type AuthenticatedRequest = FastifyRequest & { caller?: Caller; actor?: RequestActor };

/** The caller of a bearer token; Unauthenticated for a missing, malformed, forged or expired one. */
export async function authenticate(
  header: string | undefined,
  tokens: TokenVerifier,
): Promise<Caller> {
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new Unauthenticated();
  try {
    return await tokens.verify(match[1]);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw new Unauthenticated(error.message);
    throw error;
  }
}

/**
 * Checks the route's roles. The token itself is checked earlier, before the
 * body is read (edge.ts); a route outside that check is authenticated here.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TOKEN_VERIFIER) private readonly tokens: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!allowed) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const caller = (request.caller ??= await authenticate(
      request.headers.authorization,
      this.tokens,
    ));
    // A refused caller is recorded too, in the first role the token names.
    request.actor = { id: caller.userId, role: actingRole(caller, allowed) };
    if (!caller.roles.some((role) => allowed.includes(role))) {
      throw new Forbidden(`this route needs one of the roles: ${allowed.join(', ')}`);
    }
    return true;
  }
}

/** The authenticated caller, set by AuthGuard. */
export const CurrentCaller = createParamDecorator(
  (_: unknown, context: ExecutionContext): Caller => {
    const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
    if (!caller) throw new Unauthenticated();
    return caller;
  },
);

/** The role a caller acts in, for event metadata: the first of theirs that the route allows. */
export function actingRole(caller: Caller, allowed: Role[]): Role {
  return caller.roles.find((role) => allowed.includes(role)) ?? caller.roles[0];
}
