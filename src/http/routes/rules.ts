// POST /v1/rules/validate (editor) and POST /v1/admin/reload (admin).

import { readJsonBody } from '../body.js';
import type { AppHono, RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { parseBody } from '../schemas.js';
import { validateDraft } from '../validate-draft.js';

export function rulesRoutes(app: AppHono, ctx: RouteContext): void {
  app.post('/v1/rules/validate', ctx.scope('editor'), async (c) => {
    const draft = parseBody<{ text: string; path?: string }>('RulesValidateRequest', await readJsonBody(c));
    return c.json(validateDraft(ctx.ruleset(), draft), 200);
  });

  app.post('/v1/admin/reload', ctx.scope('admin'), async (c) => {
    const previous = ctx.rulesets.current?.version;
    const outcome = await ctx.reload('http');
    if (!outcome.ok) {
      throw new ApiError('invalid_ruleset', `${outcome.message}; still serving ${previous ?? 'no ruleset'}`, {
        details: outcome.diagnostics
          .filter((d) => d.severity === 'error')
          .map((d) => ({ path: `${d.path}:${d.line}:${d.col}`, message: `${d.code}: ${d.message}` })),
        extra: { diagnostics: outcome.diagnostics },
      });
    }
    return c.json({ rulesetVersion: outcome.ruleset.version, ...(previous ? { previousVersion: previous } : {}), diagnostics: outcome.ruleset.diagnostics }, 200);
  });
}
