-- A web UI login link is a recorded token usable once, within minutes, to open a web session; the
-- session it opens ends at session_until (at most 8 hours, never after the token that asked for the
-- link). Null for every other token.
alter table api_token add column session_until timestamptz;
alter table api_token add constraint api_token_session_until_after_creation
    check (session_until is null or session_until > created_at);
