/** The markers around the generated part of the README's Performance section. */
export const README_MARKERS = { start: '<!-- bench:results:start -->', end: '<!-- bench:results:end -->' } as const;

/** The README with the text between the markers replaced by `body`; throws when the markers are missing or out of order. */
export function replaceBetweenMarkers(readme: string, body: string): string {
  const start = readme.indexOf(README_MARKERS.start);
  const end = readme.indexOf(README_MARKERS.end);
  if (start < 0 || end < 0 || end < start) throw new Error(`the README has no ${README_MARKERS.start} … ${README_MARKERS.end} block`);
  return `${readme.slice(0, start + README_MARKERS.start.length)}\n${body.trimEnd()}\n${readme.slice(end)}`;
}
