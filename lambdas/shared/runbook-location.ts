/**
 * Where the runbook lives, as alarm descriptions and rollout notifications link it when the
 * deployment names no other location (`<runbook url>#runbook-<alarm-id>`,
 * `<runbook url>#runbook-rollout-<failure>`): the runbook page of the repository the stack was
 * deployed from (the package ships it too, in `docs/runbook.md`). Pure, so infra and the rollout
 * function share it.
 */
export const DEFAULT_RUNBOOK_URL = 'docs/runbook.md';
