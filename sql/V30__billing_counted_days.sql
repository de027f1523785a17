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

-- No day is marked here: rows before this version do not say whether a day was counted for every
-- tenant or for one, and marking a day of one tenant's rows would keep the case above. So the first
-- all-tenant job of each month after the upgrade counts that month's earlier days once more (a day's
-- recount each, at most 30, once), and marks them; a day whose raw events retention dropped is not
-- counted (its rows are what remains of it), stays unmarked and costs a probe per job of its month.
