/**
 * Where EMQX's file authorizer would give a policy another meaning than the model (ACL-4), the
 * policy is refused for EMQX at synth. Read from EMQX 5.8.9's source:
 * - emqx_authz_rule.erl `compile_topic/1`: a topic string starting with "eq " is an exact-match
 *   directive, not a topic; so "eq a/#" would match only the literal topic "a/#".
 * - emqx_channel.erl checks SUBSCRIBE (on the filter) and PUBLISH, never delivery; Mosquitto and
 *   the model also check each delivered message. A deny rule that cuts a piece out of an allowed
 *   subscription ("allow devices/#, deny devices/secret/#") would therefore still deliver the
 *   denied topics to a subscription of "devices/#" on EMQX.
 * - emqx_topic.erl `match_tokens/2` compares a client's filter word by word against a rule, so
 *   the client's "#" is a word that a rule's "+" matches: a rule "a/+" or "a/+/#" lets a client
 *   subscribe to "a/#", which also delivers "a" itself and, for "a/+", every deeper level.
 *   Mosquitto and the model refuse that subscription.
 */
import { FortressError } from '../core/errors.js';
import type { Policy } from '../policy/model.js';
import { filterCovers, substitute } from '../policy/topic.js';

/** Do two topic filters match at least one common topic name (MQTT semantics, `$` rule included)? */
export function filtersIntersect(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  const wild = (l: string | undefined) => l === '+' || l === '#';
  if ((wild(x[0]) && y[0]!.startsWith('$')) || (wild(y[0]) && x[0]!.startsWith('$'))) return false;
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === '#' || q === '#') return true;
    if (p === undefined || q === undefined) return p === q;
    if (p !== '+' && q !== '+' && p !== q) return false;
  }
}

export function checkEmqxAclMeaning(policy: Policy): void {
  for (const p of policy.principals) {
    for (const r of p.rules) {
      if (r.topic.startsWith('eq ')) {
        throw new FortressError(
          'EMQX_ACL_EQ',
          `role "${r.role}" has the topic ${JSON.stringify(r.topic)}: EMQX's acl.conf reads a topic starting with "eq " as an exact-match directive for the rest, so it would mean something else on EMQX. Rename the topic's first level.`,
        );
      }
    }
    for (const r of p.rules) {
      const levels = r.topic.split('/');
      const trailingPlus = levels.at(-1) === '+' || (levels.at(-1) === '#' && levels.at(-2) === '+');
      if (r.effect === 'allow' && r.action !== 'publish' && trailingPlus) {
        throw new FortressError(
          'EMQX_ACL_TRAILING_PLUS',
          `role "${r.role}" allows subscribing to ${JSON.stringify(r.topic)}: EMQX 5.8 matches a client's filter word by word, so "+" there also admits the client's "#" (${JSON.stringify([...levels.slice(0, levels.lastIndexOf('+')), '#'].join('/'))}), which receives more than the rule allows on Mosquitto. End the filter with a concrete level, or with "#" after a concrete level if the whole subtree is meant.`,
        );
      }
    }
    const subs = (effect: 'allow' | 'deny') =>
      p.rules.filter((r) => r.effect === effect && r.action !== 'publish').map((r) => ({ ...r, topic: substitute(r.topic, { username: p.username, clientId: p.username }) }));
    for (const d of subs('deny')) {
      for (const a of subs('allow')) {
        if (filtersIntersect(a.topic, d.topic) && !filterCovers(d.topic, a.topic)) {
          throw new FortressError(
            'EMQX_ACL_DELIVERY',
            `identity "${p.username}": role "${d.role}" denies ${JSON.stringify(d.topic)} inside the subscription ${JSON.stringify(a.topic)} that role "${a.role}" allows. EMQX checks a subscription's filter but not each delivered message, so a client subscribed to ${JSON.stringify(a.topic)} would still receive the denied topics. Narrow the allowed filter so that it does not reach the denied topics, or deny the whole filter.`,
          );
        }
      }
    }
  }
}
