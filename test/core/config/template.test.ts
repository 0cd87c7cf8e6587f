import {
  expandTemplate,
  expandUrlTemplate,
  templatePlaceholders,
  unknownPlaceholders,
} from '../../../src/core/config/template';
import { ValidationError } from '../../../src/core/errors';
import { aBuild } from '../../builders/target';

describe('expandTemplate', () => {
  const build = aBuild({
    id: '77',
    number: '2024.05 #3',
    pipeline: 'web ci',
    commit: 'abc',
    branch: 'refs/heads/feature/a b',
  });

  it('expands every placeholder, the branch without refs/heads/', () => {
    expect(expandTemplate('{id}|{number}|{pipeline}|{commit}|{branch}|{id}', build)).toBe(
      '77|2024.05 #3|web ci|abc|feature/a b|77',
    );
  });

  it('URL-encodes values for URLs, leaving the template itself alone', () => {
    expect(
      expandUrlTemplate('https://a.example.com/{pipeline}/{branch}/{number}.zip?c={commit}', build),
    ).toBe('https://a.example.com/web%20ci/feature%2Fa%20b/2024.05%20%233.zip?c=abc');
    expect(expandTemplate('{pipeline}', build, { encode: true })).toBe('web%20ci');
  });

  it('refuses a placeholder the build has no value for, rather than producing a wrong URL', () => {
    expect(() =>
      expandTemplate('https://a/{commit}/{branch}', aBuild({ commit: undefined, branch: undefined })),
    ).toThrow(ValidationError);
    expect(() => expandTemplate('{commit}', aBuild({ id: '5', commit: undefined }))).toThrow(
      'invalid template "{commit}": {commit}: build 5 has no commit',
    );
  });

  it('refuses unknown placeholders', () => {
    expect(() => expandTemplate('{version}', build)).toThrow(/\{version\}: unknown placeholder/);
  });

  it('leaves text without placeholders as is', () => {
    expect(expandTemplate('https://a.example.com/latest.zip', build)).toBe(
      'https://a.example.com/latest.zip',
    );
  });

  it('lists placeholders and the unknown ones', () => {
    expect(templatePlaceholders('{id}-{x}-{id}-{}')).toEqual(['id', 'x', '']);
    expect(unknownPlaceholders('{id}-{x}-{NUMBER}')).toEqual(['x', 'NUMBER']);
  });
});
