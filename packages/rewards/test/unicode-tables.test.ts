/**
 * The whole-Unicode checks against fixtures/reference.json (make_fixtures.py, CPython's `str`):
 * pyLower, the final-sigma rule, and the \s / \w / isdigit classes on every code point, compared as
 * sha256 digests. A file of their own because they take a second or two each, and a minute or more
 * under mutation testing's instrumentation, which therefore leaves them out (docs/testing.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pyLower, pyStrip } from '../src/index.js';
import { pyFindWords, pyIsDigit } from '../src/python-str.js';

const { unicode_digests: digests } = JSON.parse(
  readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8'),
) as { unicode_digests: { lower: string; sigma: string; classes: string } };

/** sha256 of the parts joined with NUL, as the Python side hashes them. */
function digest(parts: Iterable<string>): string {
  const hash = createHash('sha256');
  let first = true;
  for (const part of parts) {
    hash.update(first ? part : `\0${part}`);
    first = false;
  }
  return hash.digest('hex');
}

function* codePoints(): Generator<string> {
  for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) yield String.fromCodePoint(cp);
}

describe('whole-Unicode tables (Python str)', () => {
  it('pyLower matches str.lower() on every code point', () => {
    expect(digest((function* () { for (const ch of codePoints()) yield pyLower(ch); })())).toBe(digests.lower);
  });

  it('pyLower applies the final-sigma rule like CPython for every neighbouring code point', () => {
    const parts = function* () {
      for (const ch of codePoints()) yield pyLower(`A${ch}\u03a3`) + pyLower(`1${ch}\u03a3`) + pyLower(`A\u03a3${ch}`);
    };
    expect(digest(parts())).toBe(digests.sigma);
  });

  it('\\s, \\w and isdigit classify every code point like Python', () => {
    const parts = function* () {
      for (const ch of codePoints()) {
        const space = pyStrip(ch) === '' ? 1 : 0;
        const word = pyFindWords(`-${ch}-`)[0] === ch ? 1 : 0;
        yield String(space | (word << 1) | ((pyIsDigit(ch) ? 1 : 0) << 2));
      }
    };
    expect(digest(parts())).toBe(digests.classes);
  });
});
