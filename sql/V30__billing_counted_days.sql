-- V30: the days billing_days holds for every tenant.
--
-- A billing job for every tenant counts an earlier day of its month that has raw events and no
-- billing_days rows (its own job failed for good), so that the month sums every day its leads_used
-- reads. It asked whether the day had rows at all; a day counted for one tenant only (a tenant's own
-- job, with the all-tenant job of that day failed for good) had some, so the other tenants' counts
-- left it out while their leads_used still read its sends. Now an all-tenant count of a day marks it
-- here, and an all-tenant job counts an earlier day without the mark (BillingRollUp).
--
-- Not per tenant: the cluster's own bookkeeping, like analytics_late_days (with Citus, on the
-- coordinator, where the jobs run).
CREATE TABLE billing_counted_days (
    day        date        PRIMARY KEY,
    counted_at timestamptz NOT NULL DEFAULT now()
);

-- The days counted before: every job that ran so far counted its day for every tenant, or found rows
-- of it, as the check above assumed.
INSERT INTO billing_counted_days (day) SELECT DISTINCT day FROM billing_days;
