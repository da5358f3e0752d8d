import { describe, expect, test } from 'vitest';
import { validateDataInput, validateEntityInput, type EntityInput } from './entity-input.js';

const valid: EntityInput = { name: 'blog_post', displayName: 'Blog post', displayNamePlural: 'Blog posts' };

describe('validateEntityInput', () => {
  test('a create defaults to draft and trims display text', () => {
    expect(validateEntityInput({ ...valid, displayName: '  Blog post ', description: '  ' }, 'create')).toEqual({
      write: { name: 'blog_post', displayName: 'Blog post', displayNamePlural: 'Blog posts', description: null, status: 'draft' },
      issues: [],
    });
  });

  test.each<[string, EntityInput, string]>([
    ['name too short', { ...valid, name: 'a' }, 'name'],
    ['name too long', { ...valid, name: 'a'.repeat(51) }, 'name'],
    ['name with capitals', { ...valid, name: 'Blog' }, 'name'],
    ['name starting with a digit', { ...valid, name: '1blog' }, 'name'],
    ['name with a hyphen', { ...valid, name: 'blog-post' }, 'name'],
    ['missing name', { ...valid, name: undefined }, 'name'],
    ['short display name', { ...valid, displayName: 'B' }, 'displayName'],
    ['long plural', { ...valid, displayNamePlural: 'x'.repeat(101) }, 'displayNamePlural'],
    ['missing plural', { ...valid, displayNamePlural: null }, 'displayNamePlural'],
    ['control character', { ...valid, displayName: 'Blog\u0007' }, 'displayName'],
    ['long description', { ...valid, description: 'x'.repeat(501) }, 'description'],
    ['unknown status', { ...valid, status: 'live' }, 'status'],
    ['settings not an object', { ...valid, settings: [1] }, 'settings'],
    ['icon too long', { ...valid, icon: 'x'.repeat(256) }, 'icon'],
    ['icon with a control character', { ...valid, icon: 'star\u0000' }, 'icon'],
    ['icon with an unpaired surrogate', { ...valid, icon: '\ud800x' }, 'icon'],
  ])('%s is refused', (_name, input, path) => {
    expect(validateEntityInput(input, 'create').issues.map((i) => i.path)).toContain(path);
  });

  test('an update leaves out what it does not name and refuses clearing required attributes', () => {
    expect(validateEntityInput({ status: 'archived' }, 'update')).toEqual({ write: { status: 'archived' }, issues: [] });
    expect(validateEntityInput({ displayName: null }, 'update').issues).toEqual([{ path: 'displayName', message: 'is required' }]);
  });
});

describe('validateDataInput', () => {
  test.each<[string, string | null, boolean]>([
    ['single word', 'hello', true],
    ['words and digits', 'hello-world-2024', true],
    ['upper case', 'Hello', false],
    ['double hyphen', 'a--b', false],
    ['leading hyphen', '-a', false],
    ['trailing hyphen', 'a-', false],
    ['underscore', 'a_b', false],
    ['space', 'a b', false],
    ['255 characters', 'a'.repeat(255), true],
    ['256 characters', 'a'.repeat(256), false],
    ['null clears', null, true],
  ])('slug %s', (_name, slug, accepted) => {
    const { issues } = validateDataInput({ title: 'T', slug }, 'create');
    expect(issues.length === 0).toBe(accepted);
  });

  test('title is required and trimmed; status defaults to draft; position is a whole number', () => {
    expect(validateDataInput({ title: ' T ' }, 'create')).toEqual({ write: { title: 'T', status: 'draft' }, issues: [] });
    expect(validateDataInput({}, 'create').issues).toEqual([{ path: 'title', message: 'is required' }]);
    expect(validateDataInput({ title: ' ' }, 'create').issues[0]?.path).toBe('title');
    expect(validateDataInput({ position: -1 }, 'update').issues[0]?.path).toBe('position');
    expect(validateDataInput({ metadata: 'x' }, 'update').issues[0]?.path).toBe('metadata');
  });
});
