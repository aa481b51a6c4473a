import { AgentwireError } from './errors';
import { errorCodeTableProblems } from './testing';

class FirstError extends AgentwireError {
  constructor() {
    super('FIRST', 'first');
  }
}
class SecondError extends AgentwireError {
  constructor() {
    super('SECOND', 'second');
  }
}

describe('errorCodeTableProblems', () => {
  it('finds nothing wrong with a table whose codes each belong to one exported, sampled class', () => {
    expect(errorCodeTableProblems({ FirstError, SecondError }, { First: 'FIRST', Second: 'SECOND' }, [new FirstError(), new SecondError()])).toEqual([]);
  });

  it('names a code listed twice, a class without a sample, a code outside the table and a code no class uses', () => {
    expect(errorCodeTableProblems({ FirstError, SecondError }, { First: 'FIRST', Again: 'FIRST', Unused: 'UNUSED' }, [new SecondError()])).toEqual([
      'code FIRST is listed twice',
      'exported class FirstError has no sample',
      'SecondError: code SECOND is not in the table',
      'code FIRST belongs to no class',
      'code UNUSED belongs to no class',
    ]);
    expect(errorCodeTableProblems({}, { First: 'FIRST' }, [new FirstError()])).toEqual(['sampled class FirstError is not exported']);
  });
});
