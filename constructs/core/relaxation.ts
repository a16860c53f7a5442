/**
 * Relaxations: a construct that relaxes the security baseline on an explicit, reasoned prop
 * records it here, and the audit turns each recorded relaxation into a suppression of its rule
 * (docs/audit.md, "Recording a relaxation from your own construct").
 */
import type { IConstruct } from 'constructs';

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

/** A construct that relaxes the baseline and lists each relaxation; register it with {@link Relaxations.register}. */
export interface IRelaxed extends IConstruct {
  /** Every relaxation this construct makes, with its reason. Read when the audit runs, so it may grow until then. */
  readonly relaxations: readonly Relaxation[];
}

const registered = new WeakMap<IConstruct, IRelaxed>();

/**
 * The registry the audit reads relaxations from. Only registered constructs count: a
 * `relaxations` property alone is not read.
 */
export const Relaxations = {
  /**
   * Registers `construct`: when the audit runs ({@link FortressAudit}), each of
   * its relaxations becomes a suppression of rule `id` at the construct and below (origin
   * `relaxation`, reason `<prop>: <reason>`), listed in the report. The id must be an audit rule's
   * and the reason at least 10 characters of one line, or the audit fails with AUDIT_RELAXATION.
   * The kit's constructs register themselves; call it in the constructor of your own.
   */
  register(construct: IRelaxed): void {
    registered.set(construct, construct);
  },
  /** The relaxations the audit reads for `construct`: its list when it is registered, else none. */
  of(construct: IConstruct): readonly Relaxation[] {
    return registered.get(construct)?.relaxations ?? [];
  },
};
