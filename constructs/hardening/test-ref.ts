/**
 * A reference to a test of this repository that proves a claim of the hardening tables
 * (Device Defender mapping, secure defaults). The tables' drift tests check that the file exists
 * and still holds the title, so a claim cannot outlive its proof unnoticed.
 */
export interface TestRef {
  /** Path from the repository root, e.g. `test/integration/mosquitto.int.test.ts`. */
  readonly file: string;
  /** The test's title, or a literal part of it that names it uniquely in that file. */
  readonly title: string;
}

export const testRef = (file: string, title: string): TestRef => ({ file, title });

/** One Markdown line naming the test. */
export function showTestRef(t: TestRef): string {
  return `\`${t.file}\`: "${t.title}"`;
}
