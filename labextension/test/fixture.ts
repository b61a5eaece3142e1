// Payload fixtures written by test/make_fixtures.py from a real `qrp demo` store.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export function fixture(name: string): any {
  return JSON.parse(readFileSync(resolve(__dirname, 'fixtures', `${name}.json`), 'utf8'));
}
