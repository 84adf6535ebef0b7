/**
 * Links keep resolving: every relative link of README and the docs names a file that exists and an
 * anchor that file has; every runbook link an alarm or a notification carries names an anchor of the
 * runbook it points at (alarm descriptions and EventBridge notification texts of the example
 * policy's stack, with the example's runbook URL and with the default one; the rollout function's
 * runbook URL with every named failure; the dashboard's runbook widget).
 */
import { existsSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { policy as examplePolicy } from '../../../infra/policy';
import type { RotationPolicy } from '../../../infra/rotation-policy';
import { ROLLOUT_ENV, ROLLOUT_ERRORS } from '../../../lambdas/rollout/contract';
import { failureAnchor } from '../../../lambdas/rollout/runbook';
import { DEFAULT_RUNBOOK_URL } from '../../../lambdas/shared/runbook-location';
import {
  anchorsOf,
  linksOf,
  markdownFiles,
  readRepositoryFile,
  repositoryPath,
} from '../../support/markdown';
import { outdirs, policyStack } from '../infra/helpers';

const ROOT = resolve(import.meta.dirname, '../../..');
const dirs = outdirs();
afterEach(() => dirs.cleanup());

const PAGES = [
  'README.md',
  ...markdownFiles(ROOT, 'docs'),
  ...markdownFiles(ROOT, 'examples'),
  'local/emulator/README.md',
];

/** Whether `<file>#<anchor>` exists in the repository (`file` relative to the root). */
function resolves(file: string, anchor: string | undefined): boolean {
  const path = join(ROOT, file);
  if (!existsSync(path)) return false;
  if (anchor === undefined) return true;
  return file.endsWith('.md') && anchorsOf(readRepositoryFile(ROOT, file)).has(anchor);
}

/** Every `<url>#runbook-...` link in a text. */
const runbookLinks = (text: string) => [...text.matchAll(/(\S+)#(runbook-[a-z0-9-]+)(?![<a-z0-9-])/g)];

/** The texts the alarms and notifications of a policy's stack carry, and the rollout function's runbook URL. */
function stackTexts(policy: RotationPolicy): { texts: string[]; rolloutRunbookUrl: string | undefined } {
  const { stack } = policyStack(policy, dirs.make());
  const template = Template.fromStack(stack);
  const flatten = (value: unknown): string => JSON.stringify(value ?? '');
  const texts = [
    ...Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) =>
      flatten(alarm.Properties?.AlarmDescription),
    ),
    ...Object.values(template.findResources('AWS::Events::Rule')).map((rule) =>
      flatten([rule.Properties?.Description, rule.Properties?.Targets]),
    ),
    ...Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map((dashboard) =>
      flatten(dashboard.Properties?.DashboardBody),
    ),
  ];
  const variables = Object.values(template.findResources('AWS::Lambda::Function')).map(
    (fn) =>
      (fn.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {},
  );
  const rolloutRunbookUrl = variables.find((entry) => entry[ROLLOUT_ENV.runbookUrl] !== undefined)?.[
    ROLLOUT_ENV.runbookUrl
  ];
  return { texts, rolloutRunbookUrl };
}

describe('Docs: links and anchors', () => {
  it.each(PAGES)('every relative link of %s resolves, anchors included', (page) => {
    const broken = linksOf(readRepositoryFile(ROOT, page))
      .filter((link) => !/^[a-z]+:/i.test(link))
      .filter((link) => {
        const [target = '', anchor] = link.split('#');
        const file = target === '' ? page : normalize(join(dirname(page), target));
        return !resolves(file, anchor);
      });
    expect(broken).toEqual([]);
  });

  it.each([
    ['the example policy (its runbook URL)', examplePolicy],
    ['the default runbook URL', { ...examplePolicy, alarms: { emails: ['oncall@example.com'] } }],
  ])(
    'every runbook link of the alarms, notifications and dashboard of %s exists in the file it names',
    (_, policy) => {
      // WHEN
      const { texts, rolloutRunbookUrl } = stackTexts(policy);

      // THEN
      const links = texts.flatMap(runbookLinks);
      expect(links.length).toBeGreaterThan(20);
      for (const [link, url = '', anchor] of links) {
        const file = repositoryPath(url.replace(/^.*(Runbook: |\()/, '').replace(/^"/, ''));
        expect(file, `${link}: a runbook URL this test can map to a file`).toBeDefined();
        expect(resolves(file ?? '', anchor), `${link}: ${file}#${anchor}`).toBe(true);
      }
      // The rollout function's notifications: <its runbook URL>#runbook-rollout-<failure>, every failure.
      const file = repositoryPath(rolloutRunbookUrl ?? '');
      expect(file).toBe('docs/runbook.md');
      for (const code of Object.values(ROLLOUT_ERRORS)) {
        expect(resolves(file ?? '', failureAnchor(code)), `${code}: ${file}#${failureAnchor(code)}`).toBe(
          true,
        );
      }
    },
  );

  it('names a runbook that exists as the default location', () => {
    expect(existsSync(join(ROOT, DEFAULT_RUNBOOK_URL))).toBe(true);
  });
});
