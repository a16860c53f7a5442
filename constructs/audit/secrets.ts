/** Shapes of secret values that must never be synthesized (baseline AUTH-2). */
export const SECRET_SHAPES: [string, RegExp][] = [
  ['Mosquitto password hash', /\$7\$\d+\$[A-Za-z0-9+/]{8,}/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['Secrets Manager value in Terraform', /"secret_string(_wo)?"\s*:/],
  ['literal password attribute', /"(password|master_password|admin_password)"\s*:\s*"[^"$]/i],
  ['EMQX default cookie or password', /emqxsecretcookie|"public"/],
];
