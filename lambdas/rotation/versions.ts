/**
 * A secret's versions and their staging labels: version id -> labels, as DescribeSecret's
 * `VersionIdsToStages` (and ListSecrets' `SecretVersionsToStages`) return them. The one type every
 * part of Handover uses for "which versions does this secret have, and what is each labelled".
 */
export type SecretVersions = Readonly<Record<string, readonly string[]>>;

/**
 * The version holding staging label `stage` (`AWSCURRENT`, `AWSPENDING`, `AWSPREVIOUS` or a custom
 * one), or `undefined` when no version holds it. A label sits on at most one version at a time.
 *
 * @example
 * ```ts
 * const current = versionWith(meta.versions, STAGE.current);
 * ```
 */
export function versionWith(versions: SecretVersions, stage: string): string | undefined {
  for (const [versionId, stages] of Object.entries(versions)) {
    if (stages.includes(stage)) return versionId;
  }
  return undefined;
}
