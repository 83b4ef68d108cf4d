// GET /api/v1/summary: verdict counts per UTC day or ISO week over a bounded
// window (src/store/verdict-summary.ts), for dashboards and monitoring
// beside the dashboard's own summary page. Registered inside the read API,
// so the same bearer token (or publicReads) applies.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Store } from '../../store/store.js';
import { DEFAULT_SUMMARY_DAYS, MAX_SUMMARY_DAYS, verdictSummary } from '../../store/verdict-summary.js';

export const summaryQuerySchema = z
  .object({
    period: z.enum(['day', 'week']).optional(),
    days: z
      .string()
      .regex(/^[0-9]{1,4}$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().min(1).max(MAX_SUMMARY_DAYS))
      .optional(),
  })
  .strict();

export function summaryRoute(app: FastifyInstance, store: Store, invalid: (reply: FastifyReply, error: z.ZodError) => unknown): void {
  app.get('/api/v1/summary', async (request, reply) => {
    const q = summaryQuerySchema.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    const period = q.data.period ?? 'day';
    return reply.send(await verdictSummary(store, { period, days: q.data.days ?? DEFAULT_SUMMARY_DAYS[period] }));
  });
}
