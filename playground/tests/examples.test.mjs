// The example operations of GraphiQL's default tab are valid against the checked-in schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildSchema, parse, validate } from 'graphql';

import { EXAMPLES } from '../src/examples.js';

test("GraphiQL's example operations are valid against schema.graphql", () => {
  const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
  const errors = validate(schema, parse(EXAMPLES));
  assert.deepEqual(errors.map((e) => e.message), []);
});
