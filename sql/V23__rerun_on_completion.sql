-- A job the scheduler flagged while it ran (analytics_jobs.rerun_requested, V21: a late batch its
-- claim did not see) goes back to the queue when its run completes, whichever runner completes it.
-- JobStore.complete does this in its own UPDATE (and clears the flag, so this trigger does not fire
-- for it), but during a rolling upgrade a runner of a version before V21, whose completion sets
-- status = 'completed' and knows nothing of the flag, completed a flagged job, and its period's
-- roll-up missed the late batch until the next one. Here the row does it for any completion of a
-- flagged running job. The completing transaction still commits its run (what it counted stands
-- until the re-run replaces it).

CREATE FUNCTION analytics_jobs_rerun_on_completion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.status := 'queued';
    NEW.finished_at := NULL;
    NEW.attempts := 0;
    NEW.run_after := now();
    NEW.queued_at := now();
    NEW.dispatched_at := NULL;
    NEW.lease_until := NULL;
    NEW.rerun_requested := false;
    RETURN NEW;
END $$;

-- OLD.rerun_requested AND NEW.rerun_requested: an UPDATE that clears the flag itself is not a completion to turn.
CREATE TRIGGER analytics_jobs_rerun_on_completion BEFORE UPDATE OF status ON analytics_jobs FOR EACH ROW
    WHEN (OLD.status = 'running' AND NEW.status = 'completed' AND OLD.rerun_requested AND NEW.rerun_requested)
    EXECUTE FUNCTION analytics_jobs_rerun_on_completion();
