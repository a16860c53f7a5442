// mqtt-fortress password rotation function for AWS Secrets Manager (Node.js 20 Lambda runtime,
// which ships the AWS SDK v3). Generates every MQTT password: on creation (rotate_immediately)
// and on each scheduled rotation. No password is ever written by Terraform or TypeScript.
//
// Steps (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html):
//   createSecret  put a fresh random password as AWSPENDING (48 chars, letters and digits)
//   setSecret     nothing to do: the broker reads Secrets Manager itself (external-secrets)
//   testSecret    check the pending value's shape (length and characters)
//   finishSecret  move AWSCURRENT to the pending version
// Logs never contain a password.

export const PASSWORD_LENGTH = 48;
const SHAPE = /^[A-Za-z0-9]{32,}$/;

/**
 * Names of the secrets whose value is carried forward instead of rotated (the EMQX Erlang
 * cookie), fixed at deploy time in the function's MQTT_FORTRESS_KEEP_SECRETS variable (a JSON
 * array of names). Tags play no part: whoever may tag a secret must not be able to freeze it.
 */
export function keepList(env = process.env) {
  const raw = env.MQTT_FORTRESS_KEEP_SECRETS;
  if (raw === undefined || raw === '') return new Set();
  const names = JSON.parse(raw);
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw new Error('MQTT_FORTRESS_KEEP_SECRETS must be a JSON array of secret names');
  return new Set(names);
}

/** Runs one rotation step against `sm`, an adapter over the Secrets Manager API. */
export async function rotate(event, sm, log = console.log, keep = keepList()) {
  const { SecretId: arn, ClientRequestToken: token, Step: step } = event;
  const meta = await sm.describeSecret(arn);
  if (!meta.RotationEnabled) throw new Error(`rotation is not enabled for ${arn}`);
  const stages = meta.VersionIdsToStages?.[token];
  if (!stages) throw new Error(`version ${token} has no stage for ${arn}`);
  if (stages.includes('AWSCURRENT')) {
    log(`version ${token} is already AWSCURRENT for ${arn}`);
    return;
  }
  if (!stages.includes('AWSPENDING')) throw new Error(`version ${token} is not AWSPENDING for ${arn}`);

  if (step === 'createSecret') {
    if (await sm.getValue(arn, token, 'AWSPENDING')) {
      log(`createSecret: pending value already exists for ${arn}`);
      return;
    }
    // Values that must not change while a cluster runs (the EMQX Erlang cookie) are listed by
    // name at deploy time: the first rotation creates them, later ones keep them.
    const current = keep.has(meta.Name) ? await sm.getValue(arn, undefined, 'AWSCURRENT') : undefined;
    if (current) {
      await sm.putPending(arn, token, current);
      log(`createSecret: ${arn} is not rotated on a schedule; the current value is carried forward`);
      return;
    }
    const pw = await sm.randomPassword(PASSWORD_LENGTH);
    if (!SHAPE.test(pw)) throw new Error('createSecret: generated password has an unexpected shape');
    await sm.putPending(arn, token, pw);
    log(`createSecret: new pending version ${token} for ${arn}`);
  } else if (step === 'setSecret') {
    log(`setSecret: nothing to set for ${arn}; the broker picks the value up through external-secrets`);
  } else if (step === 'testSecret') {
    const pw = await sm.getValue(arn, token, 'AWSPENDING');
    if (!pw || !SHAPE.test(pw)) throw new Error(`testSecret: pending value of ${arn} is not a password of at least 32 letters and digits`);
    log(`testSecret: pending value of ${arn} has the expected shape`);
  } else if (step === 'finishSecret') {
    const current = Object.entries(meta.VersionIdsToStages).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
    if (current === token) return;
    await sm.finishVersion(arn, token, current);
    log(`finishSecret: ${token} is now AWSCURRENT for ${arn}`);
  } else {
    throw new Error(`unknown step ${step}`);
  }
}

/** Adapter over the AWS SDK v3 client. */
export function sdkAdapter(client, sdk) {
  return {
    describeSecret: (arn) => client.send(new sdk.DescribeSecretCommand({ SecretId: arn })),
    randomPassword: async (length) =>
      (await client.send(new sdk.GetRandomPasswordCommand({ PasswordLength: length, ExcludePunctuation: true, IncludeSpace: false, RequireEachIncludedType: true }))).RandomPassword,
    getValue: async (arn, versionId, stage) => {
      try {
        return (await client.send(new sdk.GetSecretValueCommand({ SecretId: arn, ...(versionId ? { VersionId: versionId } : {}), VersionStage: stage }))).SecretString;
      } catch (e) {
        if (e?.name === 'ResourceNotFoundException') return undefined;
        throw e;
      }
    },
    putPending: (arn, token, value) => client.send(new sdk.PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: value, VersionStages: ['AWSPENDING'] })),
    finishVersion: (arn, token, current) =>
      client.send(new sdk.UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, ...(current ? { RemoveFromVersionId: current } : {}) })),
  };
}

export async function handler(event) {
  const sdk = await import('@aws-sdk/client-secrets-manager');
  await rotate(event, sdkAdapter(new sdk.SecretsManagerClient({}), sdk));
}
