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
  for (const paths of Object.values(map)) {
    if (!Array.isArray(paths)) continue;
    for (const path of paths) {
      if (typeof path === 'string' && !staysInside(operations, path.split('.'))) return path;
    }
  }
  return null;
}

const isContainer = (value: unknown): value is object => value !== null && typeof value === 'object';

function staysInside(operations: unknown, segments: string[]): boolean {
  const last = segments.pop()!;
  let node = operations;
  for (const segment of segments) {
    if (!isContainer(node) || !Object.hasOwn(node, segment)) return false;
    node = (node as Record<string, unknown>)[segment];
  }
  return isContainer(node) && last !== '__proto__';
}
