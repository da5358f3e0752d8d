import { AppError } from '../../graphql/errors.js';

/** Setting `entities_enabled` is off: the module refuses every write until an admin switches it on. */
export class EntitiesDisabledError extends AppError {
  readonly code = 'ENTITIES_DISABLED';
  constructor() {
    super('The entities module is switched off (setting entities_enabled)');
    this.name = 'EntitiesDisabledError';
  }
}

/** The creator already owns `entities_max_per_user` entities. */
export class EntityLimitReachedError extends AppError {
  readonly code = 'ENTITY_LIMIT_REACHED';
  constructor(readonly limit: number) {
    super(`A user may create at most ${limit} entities (setting entities_max_per_user)`);
    this.name = 'EntityLimitReachedError';
  }
}
