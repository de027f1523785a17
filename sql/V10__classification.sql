-- Classification of opens and clicks (issue 13), written by the Postgres sink from io.trackedge.classify.
-- NULL on every other event type, and on rows written before classification existed.
--   automation: none | proxy | prefetch | scanner | bot (Automation.wireName()).
--   certainty:  certain | probable (Certainty.wireName()).
--   reasons:    a bitmask of Signal.bit(), 4 bytes a row instead of a text[] of names; bits are never reused.
-- is_machine stays the one-bit summary that queries and counters read (true exactly for prefetch, scanner,
-- bot); machine_reason stays, holding the reasons' names joined with commas for people reading rows.
-- Nullable columns with no default: no table rewrite; the CHECKs cost one read of existing rows (all NULL).
ALTER TABLE email_events
    ADD COLUMN automation text CHECK (automation IN ('none', 'proxy', 'prefetch', 'scanner', 'bot')),
    ADD COLUMN certainty  text CHECK (certainty IN ('certain', 'probable')),
    ADD COLUMN reasons    integer,
    -- The summary bit and the classification can never disagree: the sink sets both from one Classification.
    ADD CONSTRAINT email_events_machine_matches_automation
        CHECK (automation IS NULL OR is_machine = (automation IN ('prefetch', 'scanner', 'bot')));

COMMENT ON COLUMN email_events.automation IS
    'none, proxy (a person behind a mail image proxy), prefetch, scanner, bot; NULL when not an open or click';
COMMENT ON COLUMN email_events.certainty IS 'certain or probable';
COMMENT ON COLUMN email_events.reasons IS
    'bitmask of signals: 0 head_request, 1 empty_user_agent, 2 bare_mozilla, 3 apple_relay, 4 apple_mail_from_relay, '
    '5 mail_proxy, 6 security_vendor_range, 7 crawler_user_agent, 8 http_library, 9 headless_browser, '
    '10 unreduced_chrome, 11 soon_after_send, 12 link_burst, 13 click_before_open, 14 private_relay_click, '
    '15 tenant_user_agent';
