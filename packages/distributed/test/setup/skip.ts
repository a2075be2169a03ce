/** True when the suite is skipped on purpose (CONC_SKIP_DISTRIBUTED=1; see setup/redis.ts). */
export const skipped = process.env.CONC_DISTRIBUTED_SKIPPED === '1' || process.env.CONC_SKIP_DISTRIBUTED === '1'
