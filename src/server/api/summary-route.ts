// GET /api/v1/summary: verdict counts per UTC day or ISO week over a bounded
// window (src/store/verdict-summary.ts), for dashboards and monitoring
// beside the dashboard's own summary page. Registered inside the read API,
// so the same bearer token (or publicReads) applies.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { JOB_VERDICTS, type JobVerdict, type Store } from '../../store/store.js';
import { INVALID, UNAUTHORIZED, wholeNumber } from './api-schemas.js';
import { DEFAULT_SUMMARY_DAYS, MAX_SUMMARY_DAYS, verdictSummary } from '../../store/verdict-summary.js';

export const summaryQuerySchema = z
  .object({
    period: z.enum(['day', 'week']).optional().describe('UTC days, or ISO weeks from Monday 00:00 UTC (default day).'),
    days: wholeNumber(1, MAX_SUMMARY_DAYS)
      .optional()
      .describe(
        `How many days back from now, the current period included, aligned to the period's start (1 to ${MAX_SUMMARY_DAYS}; default ${DEFAULT_SUMMARY_DAYS.day} for days, ${DEFAULT_SUMMARY_DAYS.week} for weeks).`,
      ),
  })
  .strict();

const counts = z
  .object(Object.fromEntries(JOB_VERDICTS.map((v) => [v, z.number().int().min(0)])) as Record<JobVerdict, z.ZodNumber>)
  .strict()
  .describe('How many verifications finished with each verdict.');

/** The answer (VerdictSummary, dates as ISO 8601). */
const summarySchema = z
  .object({
    period: z.enum(['day', 'week']),
    since: z.string().datetime({ offset: true }).describe("The first period's start (inclusive)."),
    until: z.string().datetime({ offset: true }).describe("The last period's end (exclusive)."),
    verdicts: z.array(z.enum(JOB_VERDICTS as [JobVerdict, ...JobVerdict[]])),
    periods: z.array(z.object({ start: z.string().datetime({ offset: true }), counts, total: z.number().int().min(0) })),
    totals: counts,
    total: z.number().int().min(0),
  })
  .describe('Every period of the window, oldest first, zeros included.');

export function summaryRoute(app: FastifyInstance, store: Store, invalid: (reply: FastifyReply, error: z.ZodError) => unknown): void {
  app.get(
    '/api/v1/summary',
    {
      schema: {
        summary: 'Verdict counts per UTC day or ISO week over a bounded window, by the time each verification finished',
        operationId: 'getSummary',
        security: [{ bearer: [] }],
        querystring: summaryQuerySchema,
        response: { 200: summarySchema, 400: INVALID, 401: UNAUTHORIZED },
      },
    },
    async (request, reply) => {
      const q = summaryQuerySchema.safeParse(request.query);
      if (!q.success) return invalid(reply, q.error);
      const period = q.data.period ?? 'day';
      return reply.send(await verdictSummary(store, { period, days: q.data.days ?? DEFAULT_SUMMARY_DAYS[period] }));
    },
  );
}
