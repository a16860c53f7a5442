import type * as P_provider from '@cdktf/provider-aws/lib/provider/index.js';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { providerModule } from '../constructs/core/provider-module.js';
import { CredentialStore } from '../constructs/credentials/credential-store.js';
import type { CredentialStoreProps } from '../constructs/credentials/store-props.js';
import { requireTerraform } from './backend.js';

const { AwsProvider } = providerModule<typeof P_provider>('@cdktf/provider-aws/lib/provider/index.js');

export interface CredentialsAwsStackProps {
  readonly store: CredentialStoreProps;
}

/** AWS side of the credential path: KMS key, secrets, rotation function, reader role. */
export class CredentialsAwsStack extends TerraformStack {
  public readonly store: CredentialStore;
  constructor(scope: Construct, id: string, props: CredentialsAwsStackProps) {
    super(scope, id);
    requireTerraform(this);
    // Credentials come from the standard AWS chain (AWS_PROFILE, SSO, env, instance role), never from code.
    new AwsProvider(this, 'aws', { region: props.store.region, defaultTags: [{ tags: { 'mqtt-fortress:stack': id } }] });
    this.store = new CredentialStore(this, 'Credentials', props.store);
  }
}
