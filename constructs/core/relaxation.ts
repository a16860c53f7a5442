/** A documented, reasoned relaxation of the security baseline; every one appears in the report. */
export interface Relaxation {
  /** Baseline ID relaxed, e.g. `NET-2`. */
  readonly id: string;
  /** The prop that relaxes it. */
  readonly prop: string;
  /** The user's written reason. */
  readonly reason: string;
  /** The exact audit finding keys it covers (matched by equality; `[]`: none, listed only). @default - the one finding of `id` under the construct; more findings make it ambiguous (a REV-2 finding) */
  readonly appliesTo?: readonly string[];
}
