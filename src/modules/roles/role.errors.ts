import { GraphQLError } from 'graphql';
import { AppError } from '../../graphql/errors.js';

/** Owner is given only to the first account and its permissions are "everything": never assigned or edited by hand. */
export class OwnerRoleProtectedError extends AppError {
  readonly code = 'OWNER_ROLE_PROTECTED';
  constructor(message = 'The Owner role cannot be assigned or edited by hand') {
    super(message);
    this.name = 'OwnerRoleProtectedError';
  }
}

/** Owner, Admin and User (and any role made a system role) keep their name, their system flag and their existence. */
export class SystemRoleProtectedError extends AppError {
  readonly code = 'SYSTEM_ROLE_PROTECTED';
  constructor(message = 'System roles cannot be renamed, deleted or made non-system') {
    super(message);
    this.name = 'SystemRoleProtectedError';
  }
}

/** A role someone holds is not deleted from under them; remove the assignments first. */
export class RoleInUseError extends AppError {
  readonly code = 'ROLE_IN_USE';
  constructor(readonly activeAssignments: number) {
    super(`The role is assigned to ${activeAssignments} user(s); remove it from them first`);
    this.name = 'RoleInUseError';
  }
}

/** There is always at least one active Owner: the last one cannot lose the role or be deactivated. */
export class LastOwnerError extends AppError {
  readonly code = 'LAST_OWNER';
  constructor(message = 'This would leave no active Owner') {
    super(message);
    this.name = 'LastOwnerError';
  }
}

/**
 * The top-level FORBIDDEN error scope-auth gives, for the few rules re-checked inside a transaction
 * (the target's roles may change between the scope check and the write).
 */
export function forbiddenError(): GraphQLError {
  return new GraphQLError('Not allowed', { extensions: { code: 'FORBIDDEN' } });
}
