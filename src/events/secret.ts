// Webhook signing secrets: `whsec_` followed by the base64 of at least 24 bytes (the Standard
// Webhooks format). Pure: no Buffer, no crypto; the compiler uses it to check the environment it
// is handed, src/events/sign.ts to decode the key.

export const SECRET_PREFIX = 'whsec_';
export const MIN_SECRET_BYTES = 24;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Why a secret is unusable, or null when it is well formed. */
export function secretProblem(value: string): string | null {
  if (!value.startsWith(SECRET_PREFIX)) return `does not start with '${SECRET_PREFIX}'`;
  const b64 = value.slice(SECRET_PREFIX.length);
  if (!BASE64.test(b64)) return `is not '${SECRET_PREFIX}' followed by base64`;
  const bytes = (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
  if (bytes < MIN_SECRET_BYTES) return `holds ${bytes} byte(s) after '${SECRET_PREFIX}'; at least ${MIN_SECRET_BYTES} are needed`;
  return null;
}
