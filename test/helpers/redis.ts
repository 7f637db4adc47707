/** The Redis the tests use (INTAKE_TEST_REDIS_URL, default the local one); each test uses its own key prefix. */
export const REDIS_URL = process.env.INTAKE_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
