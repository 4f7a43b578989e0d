-- A labeller's claim is a lease, committed before the request to the labelling service: no
-- transaction stays open across a network call (idle_in_transaction_session_timeout, RDS Proxy
-- pinning). A claim whose lease ran out (a labeller that died) is claimable again; results are
-- written only where the claim is still the writer's own.
ALTER TABLE titles
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN claim_token   uuid;
