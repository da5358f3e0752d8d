/** Pure planning of which versions run, and in which direction. */
export type MigrationStep = { direction: 'up' | 'down'; version: number };

export class InvalidTargetVersionError extends Error {
  readonly code = 'INVALID_TARGET_VERSION';
  constructor(target: number, latest: number) {
    super(`Target version ${target} is outside 0..${latest}`);
    this.name = 'InvalidTargetVersionError';
  }
}

function assertTarget(target: number, latest: number): void {
  if (!Number.isInteger(target) || target < 0 || target > latest) throw new InvalidTargetVersionError(target, latest);
}

/** Versions to apply (ascending) to go from `current` up to `target`; empty when already there or above. */
export function planUp(current: number, target: number, latest: number): MigrationStep[] {
  assertTarget(target, latest);
  const steps: MigrationStep[] = [];
  for (let v = current + 1; v <= target; v++) steps.push({ direction: 'up', version: v });
  return steps;
}

/** Versions to revert (descending) to go from `current` down to `target`; empty when already there or below. */
export function planDown(current: number, target: number, latest: number): MigrationStep[] {
  assertTarget(target, latest);
  const steps: MigrationStep[] = [];
  for (let v = current; v > target; v--) steps.push({ direction: 'down', version: v });
  return steps;
}

/**
 * Whether the installed version moved against a run's direction since its last step (`left`: the version that step
 * left): another process migrating the other way. Moves the same way are another run of the same kind doing steps
 * (they cooperate); moves against it would have the two undo each other step by step.
 */
export function movedAgainst(direction: 'up' | 'down', left: number | null, now: number): boolean {
  if (left === null) return false;
  return direction === 'up' ? now < left : now > left;
}
