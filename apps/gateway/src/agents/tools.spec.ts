import { calculatorTool, createDemoTools, currentTimeTool, wordCountTool } from './tools';

const signal = new AbortController().signal;

describe('demo tools', () => {
  it('calculator returns the real value', async () => {
    await expect(calculatorTool.execute({ expression: '6*7' }, signal)).resolves.toEqual({ expression: '6*7', value: 42 });
    await expect(calculatorTool.execute({ expression: 42 }, signal)).rejects.toThrow("parameter 'expression' must be a string");
  });

  it('word_count counts words and code points', async () => {
    await expect(wordCountTool.execute({ text: 'to be or  not to be' }, signal)).resolves.toEqual({ words: 6, characters: 19, characters_without_spaces: 13 });
    await expect(wordCountTool.execute({ text: '   ' }, signal)).resolves.toMatchObject({ words: 0, characters: 3 });
    await expect(wordCountTool.execute({ text: 'héllo 🌍' }, signal)).resolves.toMatchObject({ words: 2, characters: 7 });
  });

  it('current_time formats the time in the zone and rejects unknown zones', async () => {
    const tool = currentTimeTool(() => new Date('2026-03-01T12:00:00Z'));
    await expect(tool.execute({ time_zone: 'Asia/Tokyo' }, signal)).resolves.toEqual({
      time_zone: 'Asia/Tokyo',
      local_time: expect.stringContaining('21:00:00') as unknown as string,
      iso_utc: '2026-03-01T12:00:00.000Z',
    });
    await expect(tool.execute({ time_zone: 'Mars/Olympus' }, signal)).rejects.toThrow("unknown time zone 'Mars/Olympus'");
  });

  it('the tool set holds the three tools by name', () => {
    expect([...createDemoTools().keys()]).toEqual(['calculator', 'word_count', 'current_time']);
  });
});
