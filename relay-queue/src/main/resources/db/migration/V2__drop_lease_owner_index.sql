-- Every claim and every outcome changes lease_owner, so this index was rewritten twice per
-- delivery attempt, while it only served the release of leases at start and stop (once per run;
-- a scan of the recipient table is fine there).
DROP INDEX recipient_lease_owner;
