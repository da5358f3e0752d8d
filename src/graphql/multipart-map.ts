/**
 * graphql-upload-minimal puts each upload where the request's `map` says, following every path segment as a property
 * of the `operations` JSON, inherited ones included: `variables.toString.call` would write an Upload onto
 * `Object.prototype.toString` for the whole process. A path is safe when every segment before the last is an own
 * property holding an object or array of the operations themselves, and the last names a slot in one (not
 * `__proto__`). Unparseable JSON is left for the library to refuse.
 */
export function unsafeMapPath(operationsJson: string | undefined, mapJson: string): string | null {
  let operations: unknown;
  let map: unknown;
  try {
    operations = operationsJson === undefined ? undefined : JSON.parse(operationsJson);
    map = JSON.parse(mapJson);
  } catch {
    return null;
  }
  if (map === null || typeof map !== 'object') return null;
  // in the library's order, each accepted path filled as the library fills it (with an Upload, which is not JSON): a
  // later path through it, `variables.a` then `variables.a.toString.call`, would follow the Upload's inherited ones
  for (const paths of Object.values(map)) {
    if (!Array.isArray(paths)) continue;
    for (const path of paths) {
      if (typeof path !== 'string') continue;
      const segments = path.split('.');
      const slot = slotOf(operations, segments);
      if (!slot) return path;
      try {
        slot.parent[slot.key] = UPLOAD;
      } catch {
        return path; // a slot that takes no value: an array's length
      }
    }
  }
  return null;
}

/** Stands in for the Upload the library puts in a slot: nothing to walk into. */
const UPLOAD = Symbol('upload');

const isContainer = (value: unknown): value is object => value !== null && typeof value === 'object';

/** The object or array and key a path fills, reached through own properties only; null when there is none. */
function slotOf(operations: unknown, segments: string[]): { parent: Record<string, unknown>; key: string } | null {
  const key = segments.pop()!;
  let node = operations;
  for (const segment of segments) {
    if (!isContainer(node) || !Object.hasOwn(node, segment)) return null;
    node = (node as Record<string, unknown>)[segment];
  }
  return isContainer(node) && key !== '__proto__' ? { parent: node as Record<string, unknown>, key } : null;
}
