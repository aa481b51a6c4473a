/**
 * Compiles a workspace glob to a RegExp over POSIX paths relative to the workspace root.
 * Supports `**` (any number of folders), `*` (within one segment), `?` and `{a,b}`; enough for
 * the registry's file patterns, without a dependency.
 */
export function compileGlob(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        const slashAfter = pattern[i + 2] === '/';
        source += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '{') {
      const close = pattern.indexOf('}', i);
      if (close === -1) throw new SyntaxError(`unclosed { in glob ${pattern}`);
      source += `(?:${pattern.slice(i + 1, close).split(',').map(escapeRegExp).join('|')})`;
      i = close;
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`);
}

/** True when `path` (POSIX, relative) matches any of the compiled globs. */
export function matchesAny(path: string, globs: readonly RegExp[]): boolean {
  return globs.some((glob) => glob.test(path));
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
