-- +goose Up
-- Every inbox action that creates a Salesforce record (a Lead, a Task of a
-- conversation or message, a Case) claims its key first, so the same
-- request twice creates one record: inbox_leads becomes inbox_actions, its
-- Intercom contact ids keys "lead:<id>".
ALTER TABLE inbox_leads RENAME TO inbox_actions;
ALTER TABLE inbox_actions RENAME COLUMN intercom_id TO action_key;
ALTER TABLE inbox_actions RENAME COLUMN lead_id TO record_id;
UPDATE inbox_actions SET action_key = 'lead:' || action_key;

-- +goose Down
UPDATE inbox_actions SET action_key = substr(action_key, 6) WHERE action_key LIKE 'lead:%';
DELETE FROM inbox_actions WHERE action_key NOT LIKE 'lead:%' AND action_key LIKE '%:%';
ALTER TABLE inbox_actions RENAME COLUMN record_id TO lead_id;
ALTER TABLE inbox_actions RENAME COLUMN action_key TO intercom_id;
ALTER TABLE inbox_actions RENAME TO inbox_leads;
