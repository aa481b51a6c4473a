import { README_MARKERS, replaceBetweenMarkers } from './readme';

describe('replaceBetweenMarkers', () => {
  const readme = `# Title\n\n## Performance\n\nintro\n\n${README_MARKERS.start}\nold table\n${README_MARKERS.end}\n\nhow to reproduce\n\n## Publishing\n`;

  it('replaces only the text between the markers', () => {
    const updated = replaceBetweenMarkers(readme, 'new table\n');
    expect(updated).toBe(`# Title\n\n## Performance\n\nintro\n\n${README_MARKERS.start}\nnew table\n${README_MARKERS.end}\n\nhow to reproduce\n\n## Publishing\n`);
    expect(replaceBetweenMarkers(updated, 'new table')).toBe(updated);
  });

  it('refuses a README without the markers', () => {
    expect(() => replaceBetweenMarkers('# Title\n', 'table')).toThrow(/no <!-- bench:results:start -->/);
  });
});
