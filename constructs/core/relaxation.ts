/** A documented, reasoned relaxation of the security baseline; every one appears in the report. */
export interface Relaxation {
  /** Baseline ID relaxed, e.g. `NET-2`. */
  readonly id: string;
  /** The prop that relaxes it. */
  readonly prop: string;
  /** The user's written reason. */
  readonly reason: string;
  /** Only the audit findings whose key contains one of these. @default - every finding of `id` under the construct */
  readonly appliesTo?: readonly string[];
}
